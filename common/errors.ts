/**
 * Error classification shared by every external system's client.
 *
 * Clients throw one of two classes; the worker's activity interceptor turns them into Temporal
 * ApplicationFailures so that the retry policy declared in workflow code decides what happens:
 * - TransientError: worth retrying (network, timeouts, 5xx, 429/503 throttling with Retry-After).
 * - PermanentError: retrying cannot help (bad data, unknown record, refused credentials, a business
 *   refusal); its `type` is listed in the workflows' nonRetryableErrorTypes.
 */
import { ApplicationFailure } from '@temporalio/common';

export type ExternalSystem = 'app4sales' | 'specter' | 'servicetrade' | 'spectrum' | 'servicechannel' | 'servicepower';

export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(
    readonly system: ExternalSystem,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(`${system}: ${message}`, { cause: details.cause });
  }
}

/** Failure types that no retry can fix. Workflows name them in nonRetryableErrorTypes. */
export const PermanentErrorTypes = {
  AuthenticationFailed: 'AuthenticationFailed',
  SourceRecordNotFound: 'SourceRecordNotFound',
  InvalidRequest: 'InvalidRequest',
  InvalidResponse: 'InvalidResponse',
  MissingRequiredFields: 'MissingRequiredFields',
  CustomerCouldNotCreatedOrUpdated: 'CustomerCouldNotCreatedOrUpdated',
} as const;
export type PermanentErrorType = (typeof PermanentErrorTypes)[keyof typeof PermanentErrorTypes];

export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  constructor(
    readonly system: ExternalSystem,
    readonly type: PermanentErrorType,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(`${system}: ${message}`);
  }
}

/** Transient failure type name, as seen in the Temporal UI. */
export const TRANSIENT_FAILURE_TYPE = 'TransientExternalError';

/**
 * Turn a client error into the ApplicationFailure Temporal records. Anything unknown is left as is
 * (Temporal retries plain errors under the activity's retry policy).
 */
export function toApplicationFailure(err: unknown): unknown {
  if (err instanceof PermanentError) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.type,
      nonRetryable: true,
      details: [{ system: err.system, ...err.details }],
    });
  }
  if (err instanceof TransientError) {
    return ApplicationFailure.create({
      message: err.message,
      type: TRANSIENT_FAILURE_TYPE,
      nonRetryable: false,
      details: [{ system: err.system, status: err.details.status, retryAfterMs: err.details.retryAfterMs }],
      nextRetryDelay: err.details.retryAfterMs,
    });
  }
  return err;
}
