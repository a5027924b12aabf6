/**
 * The customer flow's no-op activities (its null phase), shared by the bench process and the bench's
 * worker process (bench/worker-child.ts).
 */
import type { Activities, LoadApp4SalesCustomerInput, LoadedCustomer } from '../activities';
import { BENCH_PRICE_LIST, BENCH_SALES_REP, benchCustomer } from './customers';

/** No-op activities of the same names and shapes: the engine's share of a sync. */
export function nullCustomerActivities(): Pick<Activities, 'loadApp4SalesCustomer' | 'upsertSpecterCustomer' | 'findLostSpecterCustomer' | 'recordCustomerCode'> {
  const template = benchCustomer('NULL', 0);
  return {
    async loadApp4SalesCustomer(input: LoadApp4SalesCustomerInput | string): Promise<LoadedCustomer> {
      const customerId = typeof input === 'string' ? input : input.customerId;
      return {
        customer: { ...template, Id: customerId },
        salesRepResIdString: BENCH_SALES_REP.ResIdString,
        priceListCurrency: BENCH_PRICE_LIST.Currency ?? null,
        defaultCustomerGroupId: null,
        sourceFingerprint: customerId,
        earlierSync: null,
      };
    },
    async upsertSpecterCustomer() {
      return { code: '90001', created: true, message: 'Customer created' };
    },
    async findLostSpecterCustomer() {
      return null;
    },
    async recordCustomerCode() {},
  };
}
