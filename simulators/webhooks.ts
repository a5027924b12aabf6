/**
 * The delivery engine every connector's simulator sends its webhooks (or notifications) with: POST a
 * body with the given headers to a URL, each attempt with its own deadline, retried after a list of
 * waits, judged by the connector's rule for what counts as delivered, with an attempt count (and an
 * attempt log where the connector keeps one) on the connector's delivery record. Deliveries run in
 * the background; `idle()` waits for them, `close()` aborts in-flight requests and pending retries.
 *
 * What a connector keeps for itself: the body's shape, the signing headers, its rule and waits, its
 * delivery record and statuses, and extras such as drop-next or disabling after failures.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { request } from 'undici';
import type { z } from 'zod';
import { parseOr400 } from './http';

export const DEFAULT_ATTEMPT_TIMEOUT_MS = 5000;

/** One attempt: the answer's status, or why there was none. */
export interface DeliveryAttempt {
  /** HTTP status, when the receiver answered. */
  status?: number;
  error?: string;
  durationMs: number;
}

/** What an answer means: delivered, worth another attempt, or refused for good (no more attempts). */
export type AnswerVerdict = 'delivered' | 'retry' | 'refused';
export type DeliveryRule = (status: number) => AnswerVerdict;

/** Any answer 200..499 is delivered; a 5xx is retried (ServiceTrade, App4Sales). */
export const deliveredBelow500: DeliveryRule = (status) => (status >= 200 && status < 500 ? 'delivered' : 'retry');

/** Only a 2xx is delivered; anything else is retried (ServiceChannel). */
export const deliveredOn2xx: DeliveryRule = (status) => (status >= 200 && status < 300 ? 'delivered' : 'retry');

/** A 2xx is delivered; a 5xx, 408 or 429 is retried; any other answer is a refusal (ServicePower). */
export const deliveredOn2xxRefusedOn4xx: DeliveryRule = (status) =>
  status >= 200 && status < 300 ? 'delivered' : status >= 500 || status === 408 || status === 429 ? 'retry' : 'refused';

/** The part of a connector's delivery record the engine keeps up to date. */
export interface DeliveryProgress {
  attempts: number;
  /** Status of the last attempt that got an answer. */
  responseStatus?: number;
  /** Why the last attempt failed; removed once delivered. */
  error?: string;
  /** Appended to per attempt, when the record has one. */
  attemptLog?: DeliveryAttempt[];
}

export interface WebhookSenderOptions {
  /** Deadline of one attempt (answer and body); default 5000. */
  timeoutMs?: number;
  /** The waits before the 2nd, 3rd, ... attempt. */
  retryDelaysMs: readonly number[];
  /** Attempts in all; default one more than the waits. When there are fewer waits, the last one repeats. */
  maxAttempts?: number;
  /** What an answer's status means. */
  rule: DeliveryRule;
  /** Names the deliveries in log lines: 'webhook' (default) or 'notification'. */
  what?: string;
}

export interface Delivery {
  url: string;
  body: string;
  /** The headers of one attempt (asked per attempt, so a signature can carry a fresh timestamp). */
  headers: () => Record<string, string>;
  /** The connector's record: attempts, responseStatus, error and attemptLog are kept up to date. */
  progress: DeliveryProgress;
  /** Identifies the delivery in log lines (delivered, retrying, failed). */
  logFields: Record<string, unknown>;
  /** After each failed attempt (not when closing): return false to give up. */
  afterFailedAttempt?: () => boolean;
  /** Once the delivery has settled (delivered, failed, or cut short by close); before it is logged. */
  settled: (delivered: boolean) => void;
}

export class WebhookSender {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  readonly timeoutMs: number;
  private readonly retryDelaysMs: readonly number[];
  private readonly maxAttempts: number;

  constructor(
    private readonly log: FastifyBaseLogger,
    private readonly options: WebhookSenderOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    this.retryDelaysMs = options.retryDelaysMs;
    this.maxAttempts = options.maxAttempts ?? options.retryDelaysMs.length + 1;
  }

  /** Starts delivering in the background. */
  send(delivery: Delivery): void {
    const running = this.deliver(delivery).finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }

  /** Resolves once every delivery started so far has settled. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Cancels retries and in-flight requests, and waits for them to settle. */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  private async deliver({ url, body, headers, progress, logFields, afterFailedAttempt, settled }: Delivery): Promise<void> {
    const closing = this.stopping.signal;
    const what = this.options.what ?? 'webhook';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      progress.attempts = attempt;
      const startedAt = Date.now();
      const deadline = AbortSignal.timeout(this.timeoutMs);
      try {
        const response = await request(url, {
          method: 'POST',
          headers: headers(),
          body,
          signal: AbortSignal.any([closing, deadline]),
          // The deadline above decides; undici's own timeouts only back it up (equal ones raced it,
          // and an attempt then read "Headers Timeout Error" instead of "no answer within N ms").
          headersTimeout: this.timeoutMs + 1000,
          bodyTimeout: this.timeoutMs + 1000,
        });
        await response.body.dump();
        progress.responseStatus = response.statusCode;
        progress.attemptLog?.push({ status: response.statusCode, durationMs: Date.now() - startedAt });
        const verdict = this.options.rule(response.statusCode);
        if (verdict === 'delivered') {
          delete progress.error;
          settled(true);
          this.log.info({ ...logFields, status: response.statusCode, attempt }, `${what} delivered`);
          return;
        }
        progress.error = `HTTP ${response.statusCode}`;
        if (verdict === 'refused') break;
      } catch (error) {
        progress.error = closing.aborted
          ? 'simulator closed'
          : deadline.aborted
            ? `no answer within ${this.timeoutMs} ms`
            : error instanceof Error
              ? error.message
              : String(error);
        progress.attemptLog?.push({ error: progress.error, durationMs: Date.now() - startedAt });
      }
      if (closing.aborted) break;
      const goOn = afterFailedAttempt?.() ?? true;
      if (!goOn || attempt === this.maxAttempts) break;
      this.log.warn({ ...logFields, attempt, error: progress.error }, `${what} attempt failed; retrying`);
      try {
        await sleep(this.retryDelaysMs[attempt - 1] ?? this.retryDelaysMs[this.retryDelaysMs.length - 1] ?? 0, undefined, { signal: closing });
      } catch {
        progress.error = 'simulator closed';
        break;
      }
    }
    settled(false);
    this.log.warn({ ...logFields, attempts: progress.attempts, error: progress.error }, `${what} delivery failed`);
  }
}

export interface TargetRoutesOptions<T> {
  /** What the 400 for an invalid body names; default 'request body'. */
  what?: string;
  /** What GET and PUT show of the target; default all of it (pass one that leaves out secrets). */
  show?: (target: T) => unknown;
  /** More fields for GET's answer (e.g. whether the webhook is disabled). */
  status?: () => object;
  /** After PUT has set a new target. */
  onPut?: () => void;
}

/**
 * The admin routes of a sender's target at `path`: GET shows it (`{target}`, null when none), PUT
 * sets it from a body `schema` accepts (400 naming every invalid field), DELETE removes it (204:
 * nothing is sent until one is set again).
 */
export function registerTargetRoutes<T>(
  app: FastifyInstance,
  path: string,
  sender: { target: T | null },
  schema: z.ZodType<T>,
  { what, show = (target) => target, status = () => ({}), onPut }: TargetRoutesOptions<T> = {},
): void {
  app.get(path, async () => ({ target: sender.target === null ? null : show(sender.target), ...status() }));
  app.put(path, async (request) => {
    const target = parseOr400(schema, request.body, what);
    sender.target = target;
    onPut?.();
    return { target: show(target) };
  });
  app.delete(path, async (_request, reply) => {
    sender.target = null;
    return reply.code(204).send();
  });
}
