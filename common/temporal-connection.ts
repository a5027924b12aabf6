/**
 * Connection options for a Temporal cluster: the dev server, a self-hosted cluster (mTLS) or
 * Temporal Cloud (mTLS or API key), and the client connection the receiver, the CLI and the
 * worker's own client-side activities use. Loads no native code: the worker's NativeConnection
 * lives in worker/connection.ts, so the receiver and the CLI never load the worker's bridge.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './codec';
import type { Config } from './config';

export interface TemporalConnectionOptions {
  address: string;
  tls?: { clientCertPair?: { crt: Buffer; key: Buffer }; serverRootCACertificate?: Buffer; serverNameOverride?: string } | boolean;
  apiKey?: string;
}

export function temporalConnectionOptions(cfg: Config['temporal']): TemporalConnectionOptions {
  const { tls } = cfg;
  const wantsTls = tls.enabled || !!tls.clientCertPath || !!tls.serverRootCaPath || !!cfg.apiKey;
  return {
    address: cfg.address,
    apiKey: cfg.apiKey,
    tls: wantsTls
      ? {
          clientCertPair: tls.clientCertPath && tls.clientKeyPath ? { crt: readFileSync(tls.clientCertPath), key: readFileSync(tls.clientKeyPath) } : undefined,
          serverRootCACertificate: tls.serverRootCaPath ? readFileSync(tls.serverRootCaPath) : undefined,
          serverNameOverride: tls.serverName,
        }
      : undefined,
  };
}

/** The module whose `failureConverter` encrypts failure messages and stack traces (encoded attributes). */
export const ENCRYPTED_FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The data converter of every FieldBridge client and worker: with encryption keys configured, the
 * AES-256-GCM codec (common/codec.ts) and a failure converter that moves failure messages and stack
 * traces into encrypted attributes; without keys, undefined (the SDK's defaults: payloads in clear).
 */
export function fieldBridgeDataConverter(cfg: Pick<Config['temporal'], 'encryption'>): DataConverter | undefined {
  if (!cfg.encryption) return undefined;
  return { payloadCodecs: [new EncryptionCodec(cfg.encryption)], failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH };
}

export async function connectClient(cfg: Config['temporal']): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect(temporalConnectionOptions(cfg));
  return { client: new Client({ connection, namespace: cfg.namespace, dataConverter: fieldBridgeDataConverter(cfg) }), connection };
}
