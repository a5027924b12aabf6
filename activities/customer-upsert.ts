/**
 * Activities of the App4Sales -> Specter customer sync. Built by a factory that takes the clients,
 * so the worker hands them real adapters and tests hand them adapters pointed at the simulators.
 * Clients throw TransientError/PermanentError; the worker's interceptor turns those into the
 * ApplicationFailures the workflow's retry policy reads.
 */
import { createHash } from 'node:crypto';
import { Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { App4SalesClient } from '../connectors/app4sales/client';
import { PermanentError, PermanentErrorTypes, TransientError } from '../common/errors';
import { SyncRecords } from '../common/sync-records';
import { asUpdateOf, type CustomerMappingInput } from '../mappings/app4sales-to-specter';
import type { SpecterClient } from '../connectors/specter/client';
import type { SpecterPostCustomer } from '../connectors/specter/schemas';

export interface CustomerUpsertDeps {
  app4sales: App4SalesClient;
  specter: SpecterClient;
  settings: { defaultCustomerGroupId?: string | null };
  temporal: { client: Client };
}

export interface LoadApp4SalesCustomerInput {
  customerId: string;
  /**
   * Also look up what an earlier run of this customer's sync learnt (its Specter code and the source
   * it synced): asked by a run that knows no code yet, so it never creates a second customer.
   */
  recall?: boolean;
}

export interface EarlierCustomerSync {
  specterCustomerId: string;
  /** The source fingerprint that run synced; null when it did not complete. */
  sourceFingerprint: string | null;
}

export interface LoadedCustomer extends CustomerMappingInput {
  /**
   * SHA-256 of everything the mapping reads, CustomerCode and Revision left out: equal fingerprints
   * send Specter the same customer, so a redelivered event needs no Specter write.
   */
  sourceFingerprint: string;
  earlierSync?: EarlierCustomerSync | null;
}

export interface UpsertSpecterCustomerInput {
  app4salesCustomerId: string;
  payload: SpecterPostCustomer;
}

export interface UpsertSpecterCustomerResult {
  /** Specter customer id */
  code: string;
  /** True when this sync made the customer in Specter (also when a lost answer's create was found). */
  created: boolean;
  message: string;
}

export interface RecordCustomerCodeInput {
  app4salesCustomerId: string;
  customerCode: string;
}

const KIND = 'customer-upsert';

/** Stable JSON: keys sorted, undefined and null dropped. */
function canonicalJson(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v)
          .filter(([, item]) => item !== undefined && item !== null)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, item]) => [k, canonical(item)]),
      );
    }
    return v;
  };
  return JSON.stringify(canonical(value));
}

export function sourceFingerprint(input: CustomerMappingInput): string {
  const { CustomerCode: _code, Revision: _revision, ...customer } = input.customer;
  const material = canonicalJson({ ...input, customer });
  return createHash('sha256').update(material).digest('hex');
}

export function createCustomerUpsertActivities({ app4sales, specter, settings, temporal }: CustomerUpsertDeps) {
  const records = new SyncRecords(temporal.client);

  /**
   * The Specter customer a lost answer may have created for this App4Sales customer: customers with
   * the same name, e-mail and org. no., less those that already belong to another App4Sales
   * customer (its CustomerCode in App4Sales, or the code another FieldBridge sync holds).
   *
   * The rule: none left -> null (nothing of ours there: create); exactly one -> that one; several ->
   * AmbiguousTargetMatch, non-retryable: FieldBridge cannot tell which one the lost request made, and
   * guessing would merge two customers. An operator picks it (sets it as the CustomerCode in
   * App4Sales, or merges the duplicates in Specter) and syncs again.
   */
  async function findOwnLostCustomer(app4salesCustomerId: string, payload: SpecterPostCustomer): Promise<string | null> {
    const matches = await specter.findCustomers({ name: payload.Name, email: payload.EmailAddress, orgNo: payload.OrgNo });
    const unclaimed: string[] = [];
    for (const match of matches) {
      const [holdingSyncs, holdingCustomers] = await Promise.all([
        records.sourcesHoldingCode(KIND, match.CustomerId, app4salesCustomerId),
        app4sales.listCustomers({ customerCode: match.CustomerId, pageSize: 10 }),
      ]);
      const owners = [...new Set([...holdingSyncs, ...holdingCustomers.customers.map((c) => c.Id).filter((id) => id !== app4salesCustomerId)])];
      if (owners.length > 0) {
        log.info('Specter customer matches but belongs to another App4Sales customer: not adopted', {
          app4salesCustomerId,
          specterCustomerId: match.CustomerId,
          ownedBy: owners,
        });
        continue;
      }
      unclaimed.push(match.CustomerId);
    }
    if (unclaimed.length > 1) {
      throw new PermanentError(
        'specter',
        PermanentErrorTypes.AmbiguousTargetMatch,
        `an answer from Specter was lost while creating App4Sales customer ${app4salesCustomerId}, and ${unclaimed.length} Specter customers ` +
          `that belong to no App4Sales customer match it (${unclaimed.join(', ')}): FieldBridge cannot tell which one it created. ` +
          'Set the right one as the CustomerCode in App4Sales (or merge them in Specter), then sync again.',
        { app4salesCustomerId, candidates: unclaimed },
      );
    }
    return unclaimed[0] ?? null;
  }

  return {
    /** Load the App4Sales customer with its sales representative and price-list currency. */
    async loadApp4SalesCustomer(input: LoadApp4SalesCustomerInput | string): Promise<LoadedCustomer> {
      // A plain id is what runs started before `recall` existed pass.
      const { customerId, recall = false } = typeof input === 'string' ? { customerId: input } : input;
      const customer = await app4sales.getCustomer(customerId);
      const [salesRep, priceList] = await Promise.all([
        customer.Username ? app4sales.findSalesRep(customer.Username) : null,
        customer.UsesPriceField ? app4sales.findPriceList(customer.UsesPriceField) : null,
      ]);
      if (customer.Username && !salesRep) {
        log.warn('sales representative not found: SalesRepresentativeId left out', { customerId, username: customer.Username });
      }
      if (customer.UsesPriceField && !priceList?.Currency) {
        log.info('price list currency not found', { customerId, priceList: customer.UsesPriceField });
      }
      const mappingInput: CustomerMappingInput = {
        customer,
        salesRepResIdString: salesRep?.ResIdString ?? null,
        priceListCurrency: priceList?.Currency ?? null,
        defaultCustomerGroupId: settings.defaultCustomerGroupId ?? null,
      };
      let earlierSync: EarlierCustomerSync | null = null;
      if (recall) {
        const { workflowExecution } = Context.current().info;
        const earlier = await records.lastSyncWithCode(KIND, customerId, workflowExecution?.runId);
        if (earlier) {
          const result = earlier.result as { sourceFingerprint?: unknown } | undefined;
          earlierSync = {
            specterCustomerId: earlier.targetCode,
            sourceFingerprint: typeof result?.sourceFingerprint === 'string' ? result.sourceFingerprint : null,
          };
          log.info('an earlier run of this sync knew the Specter customer', { customerId, specterCustomerId: earlier.targetCode, run: earlier.runId, status: earlier.status });
        }
      }
      return { ...mappingInput, sourceFingerprint: sourceFingerprint(mappingInput), earlierSync };
    },

    /**
     * POST the customer to Specter: an update when it carries a CustomerId, else a create. A create
     * retried after an attempt whose outcome is unknown (the request went out, no answer came back,
     * or the worker died mid-request) first looks for the customer that attempt may have created
     * (findOwnLostCustomer's rule) and updates it instead. A retry after a clean refusal (429, 503,
     * connection refused: nothing was created) just creates.
     */
    async upsertSpecterCustomer({ app4salesCustomerId, payload }: UpsertSpecterCustomerInput): Promise<UpsertSpecterCustomerResult> {
      if (payload.CustomerId) {
        const result = await specter.postCustomer(payload);
        return { code: result.code, created: false, message: result.message };
      }
      const { attempt, activityId, workflowExecution } = Context.current().info;
      const previous =
        attempt > 1 && workflowExecution
          ? await records.previousAttemptOutcome(workflowExecution.workflowId, workflowExecution.runId, activityId)
          : 'not-processed';
      if (previous === 'unknown') {
        let found: string | null;
        try {
          found = await findOwnLostCustomer(app4salesCustomerId, payload);
        } catch (err) {
          if (!(err instanceof TransientError)) throw err;
          // The earlier answer is still unaccounted for: the next attempt must look again.
          throw new TransientError('specter', `looking for the customer a lost answer may have created failed: ${err.message}`, {
            ...err.details,
            outcome: 'unknown',
            cause: err,
          });
        }
        if (found) {
          log.warn('a previous attempt created this customer in Specter although its answer was lost: updating it instead', {
            app4salesCustomerId,
            specterCustomerId: found,
          });
          const result = await specter.postCustomer(asUpdateOf(payload, found));
          return { code: result.code, created: true, message: result.message };
        }
      }
      const result = await specter.postCustomer(payload);
      return { code: result.code, created: true, message: result.message };
    },

    /**
     * After the Specter write gave up on a lost answer: the customer it may have created, by
     * findOwnLostCustomer's rule, or null when Specter holds none (nothing was created).
     */
    async findLostSpecterCustomer({ app4salesCustomerId, payload }: UpsertSpecterCustomerInput): Promise<UpsertSpecterCustomerResult | null> {
      const found = await findOwnLostCustomer(app4salesCustomerId, payload);
      if (found) log.warn('the lost create was found in Specter', { app4salesCustomerId, specterCustomerId: found });
      return found ? { code: found, created: true, message: 'found after a lost answer' } : null;
    },

    /** Write the Specter customer id back as the App4Sales CustomerCode (idempotent). */
    async recordCustomerCode({ app4salesCustomerId, customerCode }: RecordCustomerCodeInput): Promise<void> {
      await app4sales.setCustomerCode(app4salesCustomerId, customerCode);
    },
  };
}

export type CustomerUpsertActivities = ReturnType<typeof createCustomerUpsertActivities>;
