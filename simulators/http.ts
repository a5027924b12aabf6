/**
 * Plumbing shared by the App4Sales and Specter simulators: the fastify instance, error handling,
 * zod body parsing with messages that name the offending fields, and listening.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { z } from 'zod';

/** A pino logger, or `false` (the default) for a silent simulator. */
export type SimulatorLogger = Logger | false;

export interface ListenOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
}

/** An error answered with its status; `code` is the simulator's error code (Specter's ApiResponse Code). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code?: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ErrorDescription {
  statusCode: number;
  message: string;
  code?: string;
}

/** Turns an error into the simulator's error body (`{Message}` for App4Sales, an ApiResponse for Specter). */
export type ErrorBodyFormatter = (error: ErrorDescription) => unknown;

/**
 * A fastify instance whose errors (thrown HttpErrors, body-parsing failures, unknown routes) are all
 * answered in the simulator's own error shape. Fastify's client errors (malformed JSON, unsupported
 * content type, empty body) become 400.
 */
export function createSimulatorApp(name: string, logger: SimulatorLogger | undefined, formatError: ErrorBodyFormatter): FastifyInstance {
  const app: FastifyInstance = logger
    ? Fastify({ loggerInstance: logger.child({ simulator: name }) as FastifyBaseLogger })
    : Fastify({ logger: false });

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    const description = describeError(error);
    if (description.statusCode >= 500 && !(error instanceof HttpError)) {
      request.log.error({ err: error }, 'simulator error');
    }
    const headers = error instanceof HttpError ? error.headers : {};
    return reply.code(description.statusCode).headers(headers).send(formatError(description));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(formatError({ statusCode: 404, message: `No route ${request.method} ${request.url}` })),
  );

  return app;
}

function describeError(error: FastifyError | HttpError): ErrorDescription {
  if (error instanceof HttpError) {
    return { statusCode: error.statusCode, message: error.message, code: error.code };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return { statusCode: 400, message: `Bad request: ${error.message}` };
  }
  return { statusCode: 500, message: 'Internal simulator error' };
}

/** `"CustomerCode: Too small: ...; VisitAddress.City: ..."`: every issue, each prefixed by its field path. */
export function formatZodIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}

/** Parses `input` with `schema`, or throws a 400 HttpError naming every invalid field. */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new HttpError(400, `Invalid ${what}: ${formatZodIssues(result.error)}`, 'ERROR_BAD_REQUEST');
  }
  return result.data;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Starts listening and returns the base URL (`http://127.0.0.1:<port>`). */
export async function listen(app: FastifyInstance, { port = 0, host = '127.0.0.1' }: ListenOptions): Promise<string> {
  await app.listen({ port, host });
  const { port: boundPort } = app.server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${urlHost}:${boundPort}`;
}
