/**
 * Every log line goes through pino: JSON by default, readable on a terminal. The Temporal runtime's,
 * the workflows' and the activities' logs are routed into the same logger by TemporalPinoLogger.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';

export type { Logger } from 'pino';

export interface LoggerOptions {
  name: string;
  level?: string;
  format?: 'json' | 'pretty' | 'auto';
  /** Where to write; defaults to stdout. */
  destination?: NodeJS.WritableStream;
}

const REDACT = [
  'apiKey',
  '*.apiKey',
  'writeUserKey',
  '*.writeUserKey',
  'readUserKey',
  '*.readUserKey',
  'webhookSecret',
  '*.webhookSecret',
  'secret',
  '*.secret',
  'headers.authorization',
  'headers["x-api-key"]',
];

export function createLogger(opts: LoggerOptions): Logger {
  const destination = opts.destination ?? process.stdout;
  const usePretty = opts.format === 'pretty' || (opts.format !== 'json' && (destination as { isTTY?: boolean }).isTTY === true);
  const base = { name: opts.name, level: opts.level ?? 'info', redact: { paths: REDACT, censor: '[redacted]' } };
  if (usePretty) {
    return pino(base, pretty({ destination: destination as never, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }));
  }
  return pino(base, destination as never);
}

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The Temporal Logger interface over pino. The SDK attaches workflowId, runId, activityType,
 * activityId and attempt to workflow and activity log lines; they arrive here as metadata.
 */
export class TemporalPinoLogger implements TemporalLogger {
  constructor(private readonly logger: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const method = LEVELS[level] ?? 'info';
    // Below the logger's level: return before building the line (the SDK logs every activity's start
    // and completion at DEBUG, every workflow task's and local activity's too, with their metadata).
    if (!this.logger.isLevelEnabled(method)) return;
    // The SDK passes failures as `error`; pino serializes Errors (message, type, stack) under `err`.
    // The task token is an opaque blob: the workflow/activity ids beside it say the same.
    const { sdkComponent, error, taskToken: _taskToken, ...rest } = meta ?? {};
    const failureType = (error as { type?: unknown } | undefined)?.type;
    this.logger[method](
      { component: sdkComponent, ...(error !== undefined ? { err: error } : {}), ...(typeof failureType === 'string' ? { failureType } : {}), ...rest },
      message,
    );
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
