import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../common/config';
import { temporalConnectionOptions } from '../../common/temporal-connection';

describe('Temporal connection options', () => {
  test('the dev server: plain TCP, no credentials', () => {
    const { temporal } = loadConfig(['temporal'], {});
    expect(temporalConnectionOptions(temporal)).toEqual({ address: '127.0.0.1:7233', apiKey: undefined, tls: undefined });
  });

  test('Temporal Cloud with an API key: TLS on, key sent', () => {
    const { temporal } = loadConfig(['temporal'], { TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233', TEMPORAL_NAMESPACE: 'acme.a1b2c', TEMPORAL_API_KEY: 'k-123' });
    const options = temporalConnectionOptions(temporal);
    expect(options).toMatchObject({ address: 'eu-west-1.aws.api.temporal.io:7233', apiKey: 'k-123' });
    expect(options.tls).toBeTruthy();
  });

  test('a self-hosted cluster with mTLS: the client certificate, key and CA are read from their files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-tls-'));
    for (const name of ['client.pem', 'client.key', 'ca.pem']) writeFileSync(join(dir, name), `-----${name}-----`);
    const { temporal } = loadConfig(['temporal'], {
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'client.key'),
      TEMPORAL_TLS_SERVER_ROOT_CA_PATH: join(dir, 'ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal',
    });
    const tls = temporalConnectionOptions(temporal).tls as { clientCertPair: { crt: Buffer; key: Buffer }; serverRootCACertificate: Buffer; serverNameOverride: string };
    expect(tls.clientCertPair.crt.toString()).toBe('-----client.pem-----');
    expect(tls.clientCertPair.key.toString()).toBe('-----client.key-----');
    expect(tls.serverRootCACertificate.toString()).toBe('-----ca.pem-----');
    expect(tls.serverNameOverride).toBe('temporal');
  });
});
