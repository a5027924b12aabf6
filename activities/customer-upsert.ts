/**
 * Activities of the App4Sales -> Specter customer sync. Built by a factory that takes the clients,
 * so the worker hands them real adapters and tests hand them adapters pointed at the simulators.
 * Clients throw TransientError/PermanentError; the worker's interceptor turns those into the
 * ApplicationFailures the workflow's retry policy reads.
 */
import { Context, log } from '@temporalio/activity';
import type { App4SalesClient } from '../app4sales/client';
import { asUpdateOf, type CustomerMappingInput } from '../mappings/app4sales-to-specter';
import type { SpecterClient } from '../specter/client';
import type { SpecterPostCustomer } from '../specter/schemas';

export interface CustomerUpsertDeps {
  app4sales: App4SalesClient;
  specter: SpecterClient;
  settings: { defaultCustomerGroupId?: string | null };
}

export interface UpsertSpecterCustomerInput {
  app4salesCustomerId: string;
  payload: SpecterPostCustomer;
}

export interface UpsertSpecterCustomerResult {
  /** Specter customer id */
  code: string;
  created: boolean;
  /** A previous attempt's answer was lost after Specter had created the customer; it was found and updated instead. */
  recoveredFromLostAnswer: boolean;
  message: string;
}

export interface RecordCustomerCodeInput {
  app4salesCustomerId: string;
  customerCode: string;
}

export function createCustomerUpsertActivities({ app4sales, specter, settings }: CustomerUpsertDeps) {
  return {
    /** Load the App4Sales customer with its sales representative and price-list currency. */
    async loadApp4SalesCustomer(customerId: string): Promise<CustomerMappingInput> {
      const customer = await app4sales.getCustomer(customerId);
      const [salesRep, priceList] = await Promise.all([
        customer.Username ? app4sales.findSalesRep(customer.Username) : null,
        customer.UsesPriceField ? app4sales.findPriceList(customer.UsesPriceField) : null,
      ]);
      if (customer.Username && !salesRep) {
        log.warn('sales representative not found: SalesRepresentativeId left out', { customerId, username: customer.Username });
      }
      if (customer.UsesPriceField && !priceList?.Currency) {
        log.info('price list currency not found: Specter default SEK applies', { customerId, priceList: customer.UsesPriceField });
      }
      return {
        customer,
        salesRepResIdString: salesRep?.ResIdString ?? null,
        priceListCurrency: priceList?.Currency ?? null,
        defaultCustomerGroupId: settings.defaultCustomerGroupId ?? null,
      };
    },

    /**
     * POST the customer to Specter. A create retried after a lost answer (attempt > 1) first looks
     * the customer up by name, e-mail and org. no., and updates the one it finds instead of
     * creating a second.
     */
    async upsertSpecterCustomer({ app4salesCustomerId, payload }: UpsertSpecterCustomerInput): Promise<UpsertSpecterCustomerResult> {
      const { attempt } = Context.current().info;
      let toSend = payload;
      let recoveredFromLostAnswer = false;
      if (!payload.CustomerId && attempt > 1) {
        const matches = await specter.findCustomers({ name: payload.Name, email: payload.EmailAddress, orgNo: payload.OrgNo });
        if (matches.length === 1) {
          toSend = asUpdateOf(payload, matches[0].CustomerId);
          recoveredFromLostAnswer = true;
          log.warn('a previous attempt already created this customer in Specter: updating it instead', {
            app4salesCustomerId,
            specterCustomerId: matches[0].CustomerId,
          });
        } else if (matches.length > 1) {
          log.warn('several Specter customers match this new customer: creating a new one', { app4salesCustomerId, matches: matches.length });
        }
      }
      const result = await specter.postCustomer(toSend);
      return { code: result.code, created: !toSend.CustomerId, recoveredFromLostAnswer, message: result.message };
    },

    /** Write the Specter customer id back as the App4Sales CustomerCode (idempotent). */
    async recordCustomerCode({ app4salesCustomerId, customerCode }: RecordCustomerCodeInput): Promise<void> {
      await app4sales.setCustomerCode(app4salesCustomerId, customerCode);
    },
  };
}

export type CustomerUpsertActivities = ReturnType<typeof createCustomerUpsertActivities>;
