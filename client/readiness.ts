/**
 * What the receiver needs of Temporal, and how it tells Temporal's failures apart.
 *
 * - classifyTemporalError: Temporal unavailable or slow (gRPC UNAVAILABLE, DEADLINE_EXCEEDED,
 *   including the client's own deadline, RESOURCE_EXHAUSTED, and CANCELLED: a call the receiver never
 *   cancels itself, which the chaos run saw answered under load) is worth retrying later; anything else
 *   (unknown namespace, unregistered search attribute, refused credentials, the unexpected) is a
 *   misconfiguration that retries will not fix until an operator acts.
 * - checkReadiness: Temporal answers for the namespace, and every FieldBridge search attribute is
 *   registered on it with its type.
 */
import { isGrpcServiceError, type Client } from '@temporalio/client';
import { NamespaceNotFoundError, SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Config } from '../common/config';
import { ALL_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { loadClientSecret, secretExpiryStatus, type SecretExpiryStatus } from '../connectors/spectrum/secret';

/** gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
const GRPC_STATUS: Record<number, string> = {
  0: 'OK',
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
};

/** Temporal down, overloaded or slower than our deadline: the caller should retry later. */
const UNAVAILABLE_STATUSES = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'CANCELLED']);

export type MisconfigurationKind = 'namespace-not-found' | 'search-attribute-not-registered' | 'permission-denied' | 'invalid-request' | 'unexpected';

export type TemporalTrouble =
  | {
      kind: 'unavailable';
      grpcStatus: string;
      /** For the log: what the client said. */
      detail: string;
    }
  | {
      kind: 'misconfigured';
      problem: MisconfigurationKind;
      grpcStatus?: string;
      /** For the log only: names the namespace, the attribute, the server's words. */
      detail: string;
      namespace: string;
      searchAttribute?: string;
    };

/** In general terms, for a caller outside (the webhook sender): nothing about our cluster's names. */
export const PUBLIC_REASONS: Record<MisconfigurationKind, string> = {
  'namespace-not-found': 'the Temporal namespace this receiver is configured for does not exist',
  'search-attribute-not-registered': 'a search attribute FieldBridge needs is not registered on its Temporal namespace',
  'permission-denied': 'Temporal refused this receiver\'s credentials',
  'invalid-request': 'Temporal refused the request as invalid',
  unexpected: 'unexpected error while talking to Temporal',
};

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/** Sort an error from a Temporal client call into "retry later" or "an operator must act", with the precise reason. */
export function classifyTemporalError(err: unknown, namespace: string): TemporalTrouble {
  const chain = causes(err);
  const message = err instanceof Error ? err.message : String(err);

  const nsNotFound = chain.find((e): e is NamespaceNotFoundError => e instanceof NamespaceNotFoundError);
  if (nsNotFound) {
    return { kind: 'misconfigured', problem: 'namespace-not-found', grpcStatus: 'NOT_FOUND', namespace: nsNotFound.namespace || namespace, detail: nsNotFound.message };
  }

  const grpc = chain.find(isGrpcServiceError);
  if (!grpc) {
    // WorkflowNotFoundError carries the server's NOT_FOUND details without the gRPC error.
    const nsMessage = chain.map((e) => (e instanceof Error ? e.message : '')).find((m) => /^Namespace \S+ is not found/i.test(m));
    if (nsMessage) return { kind: 'misconfigured', problem: 'namespace-not-found', grpcStatus: 'NOT_FOUND', namespace, detail: nsMessage };
    return { kind: 'misconfigured', problem: 'unexpected', namespace, detail: message };
  }

  const grpcStatus = GRPC_STATUS[grpc.code] ?? `code ${grpc.code}`;
  const detail = grpc.details || grpc.message;
  if (UNAVAILABLE_STATUSES.has(grpcStatus)) return { kind: 'unavailable', grpcStatus, detail };

  switch (grpcStatus) {
    case 'NOT_FOUND':
      if (/namespace/i.test(detail)) return { kind: 'misconfigured', problem: 'namespace-not-found', grpcStatus, namespace, detail };
      break;
    case 'INVALID_ARGUMENT': {
      // e.g. "Namespace default has no mapping defined for search attribute FieldBridgeSourceSystem"
      const attribute = /search attribute[s]?\s+"?([A-Za-z_][A-Za-z0-9_]*)/i.exec(detail);
      if (attribute) return { kind: 'misconfigured', problem: 'search-attribute-not-registered', grpcStatus, namespace, searchAttribute: attribute[1], detail };
      return { kind: 'misconfigured', problem: 'invalid-request', grpcStatus, namespace, detail };
    }
    case 'PERMISSION_DENIED':
    case 'UNAUTHENTICATED':
      return { kind: 'misconfigured', problem: 'permission-denied', grpcStatus, namespace, detail };
  }
  return { kind: 'misconfigured', problem: 'unexpected', grpcStatus, namespace, detail };
}

/** One line an operator can act on, naming the namespace, the attribute, the server's words. */
export function describeTrouble(trouble: TemporalTrouble): string {
  if (trouble.kind === 'unavailable') return `Temporal unavailable or too slow (${trouble.grpcStatus}: ${trouble.detail})`;
  const ns = JSON.stringify(trouble.namespace);
  switch (trouble.problem) {
    case 'namespace-not-found':
      return `Temporal namespace ${ns} does not exist: set TEMPORAL_NAMESPACE to an existing namespace (${trouble.detail})`;
    case 'search-attribute-not-registered':
      return `search attribute ${trouble.searchAttribute} is not registered on Temporal namespace ${ns}: run \`fieldbridge setup\` (${trouble.detail})`;
    case 'permission-denied':
      return `Temporal refused the receiver's credentials on namespace ${ns} (${trouble.grpcStatus}: ${trouble.detail}): check TEMPORAL_API_KEY / the TLS client certificate`;
    case 'invalid-request':
      return `Temporal refused the request as invalid on namespace ${ns} (${trouble.grpcStatus}: ${trouble.detail})`;
    case 'unexpected':
      return `unexpected error from Temporal on namespace ${ns} (${trouble.grpcStatus ?? 'no gRPC status'}: ${trouble.detail})`;
  }
}

/** How each search attribute type is registered on a namespace. */
export const INDEXED_VALUE_TYPES: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.TEXT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

function indexedTypeName(type: temporal.api.enums.v1.IndexedValueType | null | undefined): string {
  const name = type === null || type === undefined ? undefined : temporal.api.enums.v1.IndexedValueType[type];
  return name ? name.replace('INDEXED_VALUE_TYPE_', '') : String(type);
}

export interface ReadinessCheck {
  name: 'temporal' | 'searchAttributes';
  ok: boolean;
  /** Not run, because a check it depends on failed. */
  skipped?: true;
  /** Why it failed, in general terms (the precise reason goes to the log). */
  reason?: string;
  /** searchAttributes: the FieldBridge attributes the namespace lacks. */
  missing?: string[];
  /** searchAttributes: registered with another type than FieldBridge writes. */
  wrongType?: Array<{ name: string; expected: string; registered: string }>;
}

export interface Readiness {
  ready: boolean;
  checks: ReadinessCheck[];
  /** The checks that ran and failed. */
  failing: Array<ReadinessCheck['name']>;
  /** For the log: each failing check in precise terms (namespace, attribute names, server's words). */
  problems: string[];
}

/**
 * Ready when Temporal describes the client's namespace and every FieldBridge search attribute is
 * registered on it with its type. Each call is bounded by `deadlineMs`.
 */
export async function checkReadiness(client: Client, deadlineMs: number): Promise<Readiness> {
  const namespace = client.options.namespace;
  const deadline = Date.now() + deadlineMs;
  const problems: string[] = [];
  const failed = (name: ReadinessCheck['name'], err: unknown): ReadinessCheck => {
    const trouble = classifyTemporalError(err, namespace);
    problems.push(`${name}: ${describeTrouble(trouble)}`);
    return { name, ok: false, reason: trouble.kind === 'unavailable' ? 'Temporal is unreachable or too slow' : PUBLIC_REASONS[trouble.problem] };
  };

  let temporalCheck: ReadinessCheck;
  try {
    await client.withDeadline(deadline, () => client.workflowService.describeNamespace({ namespace }));
    temporalCheck = { name: 'temporal', ok: true };
  } catch (err) {
    temporalCheck = failed('temporal', err);
  }
  if (!temporalCheck.ok) {
    return { ready: false, checks: [temporalCheck, { name: 'searchAttributes', ok: false, skipped: true, reason: 'not checked: Temporal is not ready' }], failing: ['temporal'], problems };
  }

  let saCheck: ReadinessCheck;
  try {
    const registered = await client.withDeadline(deadline, () => client.connection.operatorService.listSearchAttributes({ namespace }));
    const types = new Map<string, temporal.api.enums.v1.IndexedValueType | null | undefined>([
      ...Object.entries(registered.systemAttributes ?? {}),
      ...Object.entries(registered.customAttributes ?? {}),
    ]);
    const missing = ALL_SEARCH_ATTRIBUTES.filter((key) => !types.has(key.name)).map((key) => key.name);
    const wrongType = ALL_SEARCH_ATTRIBUTES.filter((key) => types.has(key.name) && types.get(key.name) !== INDEXED_VALUE_TYPES[key.type]).map((key) => ({
      name: key.name,
      expected: indexedTypeName(INDEXED_VALUE_TYPES[key.type]),
      registered: indexedTypeName(types.get(key.name)),
    }));
    if (missing.length === 0 && wrongType.length === 0) {
      saCheck = { name: 'searchAttributes', ok: true };
    } else {
      const parts = [
        ...(missing.length ? [`not registered: ${missing.join(', ')} (run \`fieldbridge setup\`)`] : []),
        ...wrongType.map((w) => `${w.name} registered as ${w.registered}, FieldBridge writes ${w.expected} (re-register it as ${w.expected})`),
      ];
      problems.push(`searchAttributes: on Temporal namespace ${JSON.stringify(namespace)}, ${parts.join('; ')}`);
      saCheck = {
        name: 'searchAttributes',
        ok: false,
        reason: 'FieldBridge search attributes are missing or mistyped on the namespace',
        ...(missing.length ? { missing } : {}),
        ...(wrongType.length ? { wrongType } : {}),
      };
    }
  } catch (err) {
    saCheck = failed('searchAttributes', err);
  }
  return { ready: saCheck.ok, checks: [temporalCheck, saCheck], failing: saCheck.ok ? [] : ['searchAttributes'], problems };
}

/** The Spectrum client secret check: `fieldbridge status` without a workflow id prints it. */
export interface CredentialCheck {
  name: 'spectrumClientSecret';
  /** false while the secret expires within SPECTRUM_CLIENT_SECRET_WARN_DAYS, has expired, or cannot be read. */
  ok: boolean;
  state: SecretExpiryStatus['state'] | 'off' | 'unreadable';
  expiresAt?: string;
  daysLeft?: number;
  message: string;
}

/**
 * Whether Spectrum's enhanced-authentication client secret is about to expire (7-120 days after it
 * was issued or rotated), read as the worker reads it: SPECTRUM_CLIENT_SECRET_FILE (the bare secret
 * or the POST /secretRotation answer with its estimated_expiration), else SPECTRUM_CLIENT_SECRET_EXPIRES.
 * An unknown expiry is ok but says how to make it known.
 */
export function checkSpectrumClientSecret(spectrum: Config['spectrum'], now: Date = new Date()): CredentialCheck {
  const name = 'spectrumClientSecret';
  if (!spectrum.enhancedAuth) return { name, ok: true, state: 'off', message: 'Spectrum enhanced authentication is off (SPECTRUM_ENHANCED_AUTH): no client secret to expire' };
  try {
    const secret = loadClientSecret({ value: spectrum.clientSecret, file: spectrum.clientSecretFile, expires: spectrum.clientSecretExpires });
    const status = secretExpiryStatus(secret, now, spectrum.secretWarnDays);
    return { name, ok: status.state === 'ok' || status.state === 'unknown', ...status };
  } catch (err) {
    return { name, ok: false, state: 'unreadable', message: `Spectrum client secret: ${(err as Error).message}` };
  }
}
