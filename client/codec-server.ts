/**
 * The codec server (`npm run codec-server`; `npm start` runs it): the Temporal UI's "codec endpoint"
 * (and `temporal workflow show --codec-endpoint`) posts the payloads it shows to POST /decode and
 * gets them back decrypted, so an operator reads inputs, results and failures in clear while the
 * history holds only ciphertext. POST /encode is the reverse (the UI uses it for signals and queries
 * it sends). The body is the UI's JSON: `{ "payloads": [{ "metadata": { "<key>": "<base64>" },
 * "data": "<base64>" }] }`, in and out; the UI sends `X-Namespace`.
 *
 * Access: bound to 127.0.0.1 by default; with CODEC_SERVER_TOKEN set every /encode and /decode needs
 * `Authorization: Bearer <token>` (401 otherwise; set the UI's codec server to pass the user's access
 * token, or put the codec server behind your SSO proxy). Browsers may call it only from the origins
 * in CODEC_SERVER_CORS_ORIGINS (default the dev server's UI), with credentials; requests from other
 * origins get 403. Requests for another namespace than TEMPORAL_NAMESPACE get 403.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { EncryptionCodec } from '../common/codec';
import { ConfigError, loadConfig, type Config, type ConfigSection } from '../common/config';
import { createLogger, type Logger } from '../common/logger';

export const CODEC_SERVER_CONFIG_SECTIONS = ['temporal', 'log', 'codecServer'] as const satisfies readonly ConfigSection[];

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** The namespace whose payloads this server's keys encrypt; other namespaces are refused. */
  namespace: string;
  /** Required bearer token; none: no authentication (bind to loopback only). */
  token?: string;
  /** Origins allowed to call from a browser (exact `scheme://host:port`). */
  corsOrigins: readonly string[];
  logger: Logger;
  /** Largest request body; a history page of payloads can be large. */
  bodyLimitBytes?: number;
}

const ALLOWED_HEADERS = 'content-type, x-namespace, authorization';
const ALLOWED_METHODS = 'POST, OPTIONS';

const JsonPayload = z.object({
  metadata: z.record(z.string(), z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64')).nullish(),
  data: z
    .string()
    .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64')
    .nullish(),
});
const PayloadsBody = z.object({ payloads: z.array(JsonPayload) });
type JsonPayload = z.infer<typeof JsonPayload>;

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

/** Constant-time comparison of the presented and the configured token. */
function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function buildCodecServer(opts: CodecServerOptions): FastifyInstance {
  const origins = new Set(opts.corsOrigins);
  const app = Fastify({
    // URLs and status codes only: payloads (ciphertext in, clear text out) are never logged.
    loggerInstance: opts.logger.child({}) as FastifyBaseLogger,
    bodyLimit: opts.bodyLimitBytes ?? 16 * 1024 * 1024,
  });

  /** CORS headers for an allowed browser origin; false when the request comes from an origin not allowed. */
  const cors = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const origin = request.headers.origin;
    if (!origin) return true; // not a browser's cross-origin call (CLI, curl, tests)
    if (!origins.has(origin)) return false;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-credentials', 'true');
    reply.header('vary', 'Origin');
    return true;
  };

  const refuseOrigin = (request: FastifyRequest, reply: FastifyReply) =>
    reply.code(403).send({ message: `origin ${request.headers.origin} is not allowed: add it to CODEC_SERVER_CORS_ORIGINS` });

  app.options('/*', async (request, reply) => {
    if (!cors(request, reply)) return refuseOrigin(request, reply);
    reply.header('access-control-allow-methods', ALLOWED_METHODS);
    reply.header('access-control-allow-headers', ALLOWED_HEADERS);
    reply.header('access-control-max-age', '600');
    return reply.code(204).send();
  });

  app.get('/healthz', async () => ({ ok: true }));

  const route = (name: 'encode' | 'decode') =>
    app.post(`/${name}`, async (request, reply) => {
      if (!cors(request, reply)) return refuseOrigin(request, reply);
      if (opts.token) {
        const auth = request.headers.authorization ?? '';
        const match = /^Bearer\s+(.+)$/i.exec(auth);
        if (!match || !tokenMatches(match[1].trim(), opts.token)) {
          reply.header('www-authenticate', 'Bearer realm="fieldbridge-codec"');
          return reply.code(401).send({ message: match ? 'the bearer token is not accepted' : 'Authorization: Bearer <token> is required' });
        }
      }
      const namespace = request.headers['x-namespace'];
      if (typeof namespace === 'string' && namespace !== '' && namespace !== opts.namespace) {
        return reply.code(403).send({ message: `namespace ${namespace} is not served here (this codec server's keys are for namespace ${opts.namespace})` });
      }
      const parsed = PayloadsBody.safeParse(request.body);
      if (!parsed.success) {
        return reply.code(400).send({ message: `the body must be {"payloads":[{"metadata":{...base64},"data":"base64"}]}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'} ${i.message}`).join('; ')}` });
      }
      try {
        const payloads = parsed.data.payloads.map(fromJson);
        const out = name === 'encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
        return reply.send({ payloads: out.map(toJson) });
      } catch (err) {
        request.log.warn({ error: (err as Error).message }, `${name} failed`);
        return reply.code(400).send({ message: (err as Error).message });
      }
    });
  route('encode');
  route('decode');
  return app;
}

/** The codec server's options from the configuration; throws ConfigError when no key is configured. */
export function codecServerOptions(config: Pick<Config, 'temporal' | 'codecServer'>, logger: Logger): CodecServerOptions {
  if (!config.temporal.encryption) {
    throw new ConfigError(['FIELDBRIDGE_ENCRYPTION_KEYS or FIELDBRIDGE_ENCRYPTION_KEY_FILE: is required for the codec server (it decrypts with the same keys as the worker)']);
  }
  return {
    codec: new EncryptionCodec(config.temporal.encryption),
    namespace: config.temporal.namespace,
    token: config.codecServer.token,
    corsOrigins: config.codecServer.corsOrigins,
    logger,
  };
}

async function serve(): Promise<void> {
  const config = loadConfig(CODEC_SERVER_CONFIG_SECTIONS);
  const logger = createLogger({ name: 'fieldbridge-codec-server', ...config.log });
  const app = buildCodecServer(codecServerOptions(config, logger));
  const address = await app.listen({ host: config.codecServer.host, port: config.codecServer.port });
  logger.info(
    { address, namespace: config.temporal.namespace, keyIds: config.temporal.encryption?.keyIds, auth: config.codecServer.token ? 'bearer token' : 'none', corsOrigins: config.codecServer.corsOrigins },
    'codec server listening (POST /decode, /encode)',
  );
  const stop = async (signal: NodeJS.Signals) => {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    const started = Date.now();
    logger.info({ signal }, `${signal}: shutting down`);
    await app.close();
    logger.info({ shutdownMs: Date.now() - started }, `codec server stopped: shutdown took ${Date.now() - started} ms`);
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** The codec server process (`fieldbridge codec-server`, `npm run codec-server`). */
export function main(): void {
  serve().catch((err) => {
    process.stderr.write(err instanceof ConfigError ? `${err.message}\n` : `fieldbridge codec server failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  });
}

if (require.main === module) main();
