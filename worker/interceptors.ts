import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { toApplicationFailure } from '../common/errors';

/**
 * Casts the clients' TransientError/PermanentError into ApplicationFailures: permanent ones are
 * non-retryable and carry their type (listed in the workflows' nonRetryableErrorTypes), transient
 * ones carry nextRetryDelay from the vendor's Retry-After.
 */
export const vendorErrorInterceptor: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  },
});
