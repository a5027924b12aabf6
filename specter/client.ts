/**
 * Typed client for Specter's customer API, with the connector's response handling:
 * Result 1 -> Code is the Specter customer id; Code "ERROR…" -> CustomerCouldNotCreatedOrUpdated
 * (permanent); any other Result, or none -> an unexpected answer, retried by the workflow's policy.
 *
 * Specter's API is unpublished. Paths and headers follow the connector's settings (API SBM ID,
 * write user, read user) and are documented in simulators/README.md.
 */
import { PermanentError, PermanentErrorTypes, TransientError } from '../common/errors';
import { HttpClient, parseResponse } from '../common/http';
import { ApiResponseSchema, SpecterCustomerSchema, type ApiResponse, type SpecterCustomer, type SpecterPostCustomer } from './schemas';
import { z } from 'zod';

const CustomerListSchema = z.object({ Customers: z.array(SpecterCustomerSchema) });

export interface SpecterClientOptions {
  baseUrl: string;
  sbmId: number;
  writeUserId: string;
  writeUserKey: string;
  readUserId: string;
  readUserKey: string;
  timeoutMs: number;
}

export interface SpecterUpsertResult {
  /** Specter customer id (ApiResponse.Code). */
  code: string;
  message: string;
}

export interface CustomerLookup {
  name?: string;
  email?: string;
  orgNo?: string;
}

export class SpecterClient {
  private readonly http: HttpClient;
  private readonly base: string;

  constructor(private readonly opts: SpecterClientOptions) {
    this.http = new HttpClient({ system: 'specter', baseUrl: opts.baseUrl, timeoutMs: opts.timeoutMs });
    this.base = `api/v1/${opts.sbmId}/customers`;
  }

  /** POST a SpecterPostCustomer (create, or update when IdentifyByCustomerId is set). */
  async postCustomer(customer: SpecterPostCustomer): Promise<SpecterUpsertResult> {
    const res = await this.http.send({ method: 'POST', path: this.base, headers: this.writeAuth(), json: customer });
    const parsed = ApiResponseSchema.safeParse(res.body);
    if (!parsed.success) {
      throw new TransientError('specter', `POST customer answered ${res.status} without an ApiResponse`, { status: res.status });
    }
    return interpretApiResponse(parsed.data, customer);
  }

  async getCustomer(customerId: string): Promise<SpecterCustomer | null> {
    const res = await this.http.send({ method: 'GET', path: `${this.base}/${encodeURIComponent(customerId)}`, headers: this.readAuth() });
    if (res.status === 404) return null;
    return parseResponse('specter', SpecterCustomerSchema, res.body, `customer ${customerId}`);
  }

  async findCustomers(lookup: CustomerLookup): Promise<SpecterCustomer[]> {
    const res = await this.http.send({
      method: 'GET',
      path: this.base,
      headers: this.readAuth(),
      query: { name: lookup.name, email: lookup.email, orgNo: lookup.orgNo },
    });
    return parseResponse('specter', CustomerListSchema, res.body, 'customer lookup').Customers;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private writeAuth(): Record<string, string> {
    return { 'x-api-user-id': this.opts.writeUserId, 'x-api-key': this.opts.writeUserKey };
  }

  private readAuth(): Record<string, string> {
    return { 'x-api-user-id': this.opts.readUserId, 'x-api-key': this.opts.readUserKey };
  }
}

/** The connector's reading of an ApiResponse. Exported for tests. */
export function interpretApiResponse(response: ApiResponse, sent: Pick<SpecterPostCustomer, 'CustomerId' | 'Name'>): SpecterUpsertResult {
  const code = response.Code ?? '';
  const message = response.Message ?? '';
  const who = sent.CustomerId ? `customer ${sent.CustomerId} (${sent.Name})` : `new customer "${sent.Name}"`;
  if (code.toUpperCase().startsWith('ERROR')) {
    throw new PermanentError(
      'specter',
      PermanentErrorTypes.CustomerCouldNotCreatedOrUpdated,
      `Specter could not create or update ${who}: ${code}${message ? `: ${message}` : ''}`,
      { specterCode: code, specterMessage: message, result: response.Result ?? null },
    );
  }
  if (response.Result !== 1) {
    throw new TransientError('specter', `Specter answered Result ${response.Result ?? 'null'} for ${who}: ${message || '(no message)'}`);
  }
  if (!code) {
    throw new PermanentError('specter', PermanentErrorTypes.InvalidResponse, `Specter answered Result 1 without a customer code for ${who}`);
  }
  return { code, message };
}
