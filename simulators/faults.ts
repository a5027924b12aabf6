/**
 * Fault injection shared by both simulators.
 *
 * One fault config at a time, set over `PUT /__admin/faults`. It applies to the public API routes
 * only (each public route installs `injector.hook(routeId)` as a preHandler); admin routes never see
 * faults. A request "matches" when its route is in `routes` (default: every public route) and the
 * config holds a fault kind that can affect that route. Every matching request consumes one unit of
 * `count`; when it reaches 0 the config is cleared.
 *
 * Per matching request, in order: `latencyMs` delay, then `throttle` (429 + Retry-After once more than
 * `limit` matching requests arrived in the current fixed window), then `hold` (the request waits
 * until released over `POST /__admin/faults/release` or `release()`: a gate tests open when they are
 * ready, instead of guessing with latency), then `timeoutRate` (the request is
 * never answered; its socket is destroyed when the server closes), then `errorRate` (answers
 * `errorStatus`, 400..599, default 500: a 4xx is a refusal, a 5xx a server fault). Rates draw from
 * Math.random, or from a PRNG seeded by `seed`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError, parseOr400 } from './http';

export const ThrottleSchema = z
  .object({
    limit: z.number().int().nonnegative(),
    windowMs: z.number().int().positive(),
    retryAfterSeconds: z.number().int().nonnegative(),
  })
  .strict();
export type Throttle = z.infer<typeof ThrottleSchema>;

const rate = z.number().min(0).max(1);

export const FaultConfigSchema = z
  .object({
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    errorRate: rate.optional(),
    /** 400..599: a 5xx is a server fault; a 4xx a refusal (e.g. 422 on a write App4Sales will not take). */
    errorStatus: z.number().int().min(400).max(599).optional(),
    timeoutRate: rate.optional(),
    throttle: ThrottleSchema.optional(),
    /** Hold matching requests until released (then they go on as normal). */
    hold: z.boolean().optional(),
    routes: z.array(z.string().min(1)).min(1).optional(),
    count: z.number().int().positive().optional(),
    /** Seeds the PRNG behind errorRate/timeoutRate, for reproducible runs. */
    seed: z.number().int().optional(),
  })
  .strict();
export type FaultConfig = z.infer<typeof FaultConfigSchema>;

/** True when the config holds one of the shared fault kinds (which can affect any route). */
export function hasSharedFault(config: FaultConfig): boolean {
  return (
    config.latencyMs !== undefined ||
    config.errorRate !== undefined ||
    config.timeoutRate !== undefined ||
    config.throttle !== undefined ||
    config.hold === true
  );
}

export interface FaultState<C extends FaultConfig> {
  config: C | null;
  /** Matching requests left before the config clears itself; null when not count-limited. */
  remaining: number | null;
}

export interface FaultInjectorOptions<C extends FaultConfig> {
  /** FaultConfigSchema, or an extension of it with simulator-specific fault kinds. */
  schema: z.ZodType<C>;
  /** The public route ids; `routes` in a config must name some of these. */
  routeIds: readonly string[];
  /** Whether the config can affect a route; defaults to hasSharedFault. */
  affects?: (config: C, routeId: string) => boolean;
}

/** The simulator error code of an injected status (Specter puts it in its ApiResponse; App4Sales answers `{Message}`). */
function injectedErrorCode(status: number): string {
  if (status === 503) return 'ERROR_UNAVAILABLE';
  if (status === 429) return 'ERROR_THROTTLED';
  if (status < 500) return 'ERROR_REFUSED';
  return 'ERROR_INTERNAL';
}

/** mulberry32: a small, good-enough seeded PRNG. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector<C extends FaultConfig = FaultConfig> {
  private config: C | null = null;
  private remaining: number | null = null;
  private random: () => number = Math.random;
  private throttleWindow = { startedAt: 0, hits: 0 };
  private readonly applied = new WeakMap<FastifyRequest, C>();
  private readonly hung = new Set<FastifyReply>();
  private readonly closing = new AbortController();
  private readonly holding = new Set<() => void>();
  private readonly affects: (config: C, routeId: string) => boolean;

  constructor(private readonly options: FaultInjectorOptions<C>) {
    this.affects = options.affects ?? hasSharedFault;
  }

  /** Validates and installs a config (replacing the current one); throws a 400 HttpError when invalid. */
  set(input: unknown): FaultState<C> {
    const config = parseOr400(this.options.schema, input, 'fault config');
    const unknownRoutes = (config.routes ?? []).filter((route) => !this.options.routeIds.includes(route));
    if (unknownRoutes.length > 0) {
      throw new HttpError(
        400,
        `Invalid fault config: routes: unknown route id(s) ${unknownRoutes.join(', ')}; known: ${this.options.routeIds.join(', ')}`,
        'ERROR_BAD_REQUEST',
      );
    }
    this.config = config;
    this.remaining = config.count ?? null;
    this.random = config.seed === undefined ? Math.random : seededRandom(config.seed);
    this.throttleWindow = { startedAt: 0, hits: 0 };
    return this.state();
  }

  clear(): void {
    this.config = null;
    this.remaining = null;
  }

  /** Requests waiting at a `hold` fault right now. */
  get held(): number {
    return this.holding.size;
  }

  /** Let every held request go on; returns how many there were. */
  release(): number {
    const released = this.holding.size;
    for (const go of [...this.holding]) go();
    return released;
  }

  state(): FaultState<C> {
    return { config: this.config, remaining: this.remaining };
  }

  /** The fault config that was in force for this request (set by its hook), if the request matched. */
  appliedTo(request: FastifyRequest): C | undefined {
    return this.applied.get(request);
  }

  /** The preHandler hook of a public route: applies the shared fault kinds. */
  hook(routeId: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
    return async (request, reply) => {
      const config = this.take(routeId);
      if (!config) return;
      this.applied.set(request, config);

      if (config.latencyMs) {
        try {
          await sleep(config.latencyMs, undefined, { signal: this.closing.signal });
        } catch {
          // The server is closing: drop the request like a dying server would.
          reply.hijack();
          reply.raw.destroy();
          return;
        }
      }
      if (config.throttle && this.overThrottle(config.throttle)) {
        throw new HttpError(429, 'Too many requests (injected throttle)', 'ERROR_THROTTLED', {
          'retry-after': String(config.throttle.retryAfterSeconds),
        });
      }
      if (config.hold) {
        await new Promise<void>((resolve) => {
          const go = () => {
            this.holding.delete(go);
            resolve();
          };
          this.holding.add(go);
          this.closing.signal.addEventListener('abort', go, { once: true });
        });
        if (this.closing.signal.aborted) {
          reply.hijack();
          reply.raw.destroy();
          return;
        }
      }
      if (config.timeoutRate !== undefined && this.random() < config.timeoutRate) {
        this.hang(request, reply);
        return;
      }
      if (config.errorRate !== undefined && this.random() < config.errorRate) {
        const status = config.errorStatus ?? 500;
        throw new HttpError(status, `Injected fault: HTTP ${status}`, injectedErrorCode(status));
      }
    };
  }

  /**
   * Leaves the request unanswered: fastify lets go of the reply, and the socket is destroyed only when
   * the client gives up or the server closes.
   */
  hang(request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack();
    if (this.closing.signal.aborted) {
      reply.raw.destroy();
      return;
    }
    this.hung.add(reply);
    reply.raw.once('close', () => this.hung.delete(reply));
    request.log.info({ url: request.url }, 'fault: request left unanswered');
  }

  /** Releases every hung request and cuts pending latency short; call before closing the server. */
  close(): void {
    this.closing.abort();
    for (const reply of this.hung) reply.raw.destroy();
    this.hung.clear();
  }

  /** The config, when the request on `routeId` matches it; consumes one unit of `count`. */
  private take(routeId: string): C | undefined {
    const config = this.config;
    if (!config) return undefined;
    if (config.routes && !config.routes.includes(routeId)) return undefined;
    if (!this.affects(config, routeId)) return undefined;
    if (this.remaining !== null) {
      this.remaining -= 1;
      if (this.remaining <= 0) this.clear();
    }
    return config;
  }

  private overThrottle({ limit, windowMs }: Throttle): boolean {
    const now = Date.now();
    if (now - this.throttleWindow.startedAt >= windowMs) this.throttleWindow = { startedAt: now, hits: 0 };
    this.throttleWindow.hits += 1;
    return this.throttleWindow.hits > limit;
  }
}

/** GET / PUT / DELETE /__admin/faults, and the preClose hook that releases hung requests. */
export function registerFaultRoutes<C extends FaultConfig>(app: FastifyInstance, faults: FaultInjector<C>): void {
  app.get('/__admin/faults', async () => ({ ...faults.state(), held: faults.held }));
  app.post('/__admin/faults/release', async () => ({ released: faults.release() }));
  app.put('/__admin/faults', async (request) => faults.set(request.body));
  app.delete('/__admin/faults', async (_request, reply) => {
    faults.clear();
    return reply.code(204).send();
  });
  app.addHook('preClose', async () => faults.close());
}
