/**
 * Typed client for the App4Sales (Core Suite) API: customers, sales representatives, price lists,
 * and writing back the CustomerCode. Every answer is validated with the schemas in ./schemas.
 */
import type { z } from 'zod';
import { PermanentError, PermanentErrorTypes } from '../../common/errors';
import { HttpClient, parseResponse, type HttpResponse } from '../../common/http';
import {
  CustomerListSchema,
  CustomerSchema,
  PriceListSchema,
  SalesRepSchema,
  type Customer,
  type CustomerSummary,
  type PriceList,
  type SalesRep,
} from './schemas';

export interface App4SalesClientOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

/** Filters of the customer list, combined with AND; all optional. */
export interface ListCustomersQuery {
  /** Customers changed at or after this instant (ISO 8601). */
  changedSince?: string;
  /** Only customers without a CustomerCode. */
  withoutCode?: boolean;
  /** Only customers with exactly this CustomerCode. */
  customerCode?: string;
  /** 1..500; App4Sales' default is 100. */
  pageSize?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface CustomerPage {
  /** Ordered by ChangedAt, then Id. */
  customers: CustomerSummary[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export class App4SalesClient {
  private readonly http: HttpClient;

  constructor(opts: App4SalesClientOptions) {
    this.http = new HttpClient({
      system: 'app4sales',
      baseUrl: opts.baseUrl,
      timeoutMs: opts.timeoutMs,
      defaultHeaders: { authorization: `Bearer ${opts.apiKey}` },
    });
  }

  /** The customer; PermanentError(SourceRecordNotFound) when App4Sales has none with that id. */
  async getCustomer(customerId: string): Promise<Customer> {
    const res = await this.http.send({ method: 'GET', path: `api/v1/customers/${encodeURIComponent(customerId)}`, operation: 'GET api/v1/customers/{id}' });
    if (res.status === 404) {
      throw new PermanentError('app4sales', PermanentErrorTypes.SourceRecordNotFound, `customer ${customerId} does not exist in App4Sales`, {
        customerId,
      });
    }
    return this.parse(res, CustomerSchema, `customer ${customerId}`);
  }

  /**
   * One page of the customer list *(assumed API: App4Sales publishes none; see simulators/README.md)*.
   * A 400 (a bad filter or cursor) is a PermanentError(InvalidRequest).
   */
  async listCustomers(query: ListCustomersQuery = {}): Promise<CustomerPage> {
    const res = await this.http.send({
      method: 'GET',
      path: 'api/v1/customers',
      operation: 'GET api/v1/customers',
      query: {
        changedSince: query.changedSince,
        withoutCode: query.withoutCode === undefined ? undefined : String(query.withoutCode),
        customerCode: query.customerCode,
        pageSize: query.pageSize === undefined ? undefined : String(query.pageSize),
        cursor: query.cursor,
      },
    });
    if (res.status === 400) {
      throw new PermanentError('app4sales', PermanentErrorTypes.InvalidRequest, `App4Sales refused the customer list query: ${messageOf(res.body)}`, {
        query,
      });
    }
    const page = this.parse(res, CustomerListSchema, 'customer list');
    return { customers: page.Customers, nextCursor: page.NextCursor };
  }

  /** The sales representative behind a username, or null when the SalesReps table has none. */
  async findSalesRep(username: string): Promise<SalesRep | null> {
    const res = await this.http.send({ method: 'GET', path: `api/v1/salesreps/${encodeURIComponent(username)}`, operation: 'GET api/v1/salesreps/{username}' });
    if (res.status === 404) return null;
    return this.parse(res, SalesRepSchema, `sales representative ${username}`);
  }

  /** The price list with that code, or null when there is none. */
  async findPriceList(code: string): Promise<PriceList | null> {
    const res = await this.http.send({ method: 'GET', path: `api/v1/pricelists/${encodeURIComponent(code)}`, operation: 'GET api/v1/pricelists/{code}' });
    if (res.status === 404) return null;
    return this.parse(res, PriceListSchema, `price list ${code}`);
  }

  /** Write the Specter customer id back as the customer's CustomerCode. */
  async setCustomerCode(customerId: string, customerCode: string): Promise<Customer> {
    const res = await this.http.send({
      method: 'PUT',
      path: `api/v1/customers/${encodeURIComponent(customerId)}/customercode`,
      operation: 'PUT api/v1/customers/{id}/customercode',
      json: { CustomerCode: customerCode },
    });
    if (res.status === 404) {
      throw new PermanentError('app4sales', PermanentErrorTypes.SourceRecordNotFound, `customer ${customerId} does not exist in App4Sales`, {
        customerId,
      });
    }
    if (res.status >= 400) {
      throw new PermanentError(
        'app4sales',
        PermanentErrorTypes.InvalidRequest,
        `App4Sales refused CustomerCode "${customerCode}" for customer ${customerId}: ${messageOf(res.body)}`,
        { customerId, field: 'CustomerCode', status: res.status },
      );
    }
    return this.parse(res, CustomerSchema, `customer ${customerId}`);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private parse<S extends z.ZodType>(res: HttpResponse, schema: S, what: string): z.infer<S> {
    if (res.status !== 200) {
      throw new PermanentError('app4sales', PermanentErrorTypes.InvalidResponse, `unexpected status ${res.status} for ${what}: ${messageOf(res.body)}`, {
        status: res.status,
      });
    }
    return parseResponse('app4sales', schema, res.body, what);
  }
}

function messageOf(body: unknown): string {
  if (body && typeof body === 'object' && 'Message' in body) return String((body as { Message: unknown }).Message);
  return typeof body === 'string' ? body : JSON.stringify(body ?? '');
}
