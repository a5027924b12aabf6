/**
 * Error classification shared by every external system's client.
 *
 * Clients throw one of two classes; the worker's activity interceptor turns them into Temporal
 * ApplicationFailures so that the retry policy declared in workflow code decides what happens:
 * - TransientError: worth retrying (network, timeouts, 5xx, 429/503 throttling with Retry-After). It
 *   says whether the request may have taken effect: `not-processed` (refused before anything was
 *   done: connection refused, 429, 503) or `unknown` (the request went out and no answer came back:
 *   a timeout after sending, a dropped connection, a 500/502/504). Only `unknown` makes a retried
 *   create look for what the lost attempt may have created.
 * - PermanentError: retrying cannot help (bad data, unknown record, refused credentials, a business
 *   refusal); its `type` is listed in the workflows' nonRetryableErrorTypes.
 */
import { ApplicationFailure } from '@temporalio/common';

export type ExternalSystem = 'app4sales' | 'specter' | 'servicetrade' | 'spectrum' | 'servicechannel' | 'servicepower';

/** Whether a failed request may have taken effect at the other end. */
export type RequestOutcome = 'not-processed' | 'unknown';

export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(
    readonly system: ExternalSystem,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; outcome?: RequestOutcome; cause?: unknown } = {},
  ) {
    super(`${system}: ${message}`, { cause: details.cause });
  }

  /** `unknown` unless the client knows the request was refused before it took effect. */
  get outcome(): RequestOutcome {
    return this.details.outcome ?? 'unknown';
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
  /** A lost answer left several unclaimed Specter customers that could be the one it created. */
  AmbiguousTargetMatch: 'AmbiguousTargetMatch',
  /** Spectrum answered `A` (abort): the Authorization ID is inactive or lacks the method or company. */
  SpectrumNotAuthorized: 'SpectrumNotAuthorized',
  /** Spectrum answered `I` (invalid) or `M` (missing) for one or more columns. */
  SpectrumRejected: 'SpectrumRejected',
  /**
   * Spectrum answered "Time out has occurred": the GUID (session) went unused for 24 h. Not worth
   * retrying with the same GUID; the workflow renews it and calls again.
   */
  SpectrumSessionExpired: 'SpectrumSessionExpired',
  /** A mapping the sync needs (a Spectrum customer or site code on a ServiceTrade record) stayed missing past its deadline. */
  MappingNotFound: 'MappingNotFound',
  /** The source record cannot become a valid target record (e.g. a work order number longer than 10 characters). */
  InvalidSourceRecord: 'InvalidSourceRecord',
  /** ServiceChannel refused an action the subscriber has not permitted this provider (seed 003's permissions table). */
  ProviderPermissionMissing: 'ProviderPermissionMissing',
  /** ServicePower answered 409: the write conflicts with the work order's state (the workflow decides what to do). */
  TargetConflict: 'TargetConflict',
  /** ServicePower answered 410: the work order is gone (deleted); a delete is then already done. */
  TargetGone: 'TargetGone',
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

/**
 * The one list of failure types no retry can fix: every workflow's retry policies name it in
 * nonRetryableErrorTypes (clients also mark these failures nonRetryable themselves).
 */
export const NON_RETRYABLE_ERROR_TYPES: string[] = Object.values(PermanentErrorTypes);

/** Transient failure type names, as seen in the Temporal UI. */
export const TRANSIENT_FAILURE_TYPE = 'TransientExternalError';
/** A transient failure after which the request may have taken effect (the answer was lost). */
export const OUTCOME_UNKNOWN_FAILURE_TYPE = 'ExternalOutcomeUnknown';

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
      type: err.outcome === 'not-processed' ? TRANSIENT_FAILURE_TYPE : OUTCOME_UNKNOWN_FAILURE_TYPE,
      nonRetryable: false,
      details: [{ system: err.system, status: err.details.status, retryAfterMs: err.details.retryAfterMs, outcome: err.outcome }],
      nextRetryDelay: err.details.retryAfterMs,
    });
  }
  return err;
}
