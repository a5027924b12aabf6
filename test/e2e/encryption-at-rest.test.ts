/**
 * Encryption at rest, end to end, on a FILE-backed dev server: the production worker process
 * (worker/main.ts) configured with a key file syncs a customer; its e-mail, name and phone are then
 * nowhere in the exported history nor in the server's database file (and its WAL), while the codec
 * server (what the Temporal UI and `temporal workflow show --codec-endpoint` call) shows them in
 * clear. Control: a customer synced by a worker WITHOUT keys on the same server is found by the very
 * same scans, so the scans can fail.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { buildCodecServer, codecServerOptions } from '../../client/codec-server';
import { startCustomerUpsert } from '../../common/starters';
import { describeSync } from '../../client/operations';
import { decodeHistoryPayloads, generateKeyEntry } from '../../common/codec';
import { loadConfig } from '../../common/config';
import { connectClient } from '../../common/temporal-connection';
import type { customerUpsert } from '../../workflows/customer-upsert';
import { customerUpsertWorkflowId } from '../../workflows/definitions';
import { app4salesCustomer } from '../fixtures/customers';
import { startStack, testLogger, workerProcessEnv, type Stack } from '../helpers/stack';
import { temporalCliPath } from '../helpers/temporal-cli';

jest.setTimeout(240_000);

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'fb-encryption-'));
const dbFile = join(dir, 'temporal.db');
const keyFile = join(dir, 'encryption-keys');
const CODEC_TOKEN = 'codec-token-for-the-test-0123';

/** Distinct, greppable customer data for each of the two customers. */
function pii(tag: string) {
  return {
    email: `kari.${tag}@nordvik-${tag}.example`,
    name: `Nordvik Maskin ${tag} AS`,
    phone: `+47 22 ${tag.length}1 23 ${tag === 'secret' ? '45' : '67'}`,
  };
}
const secret = pii('secret');
const control = pii('control');

let stack: Stack;
let worker: ChildProcess | undefined;
let workerOutput = '';
let encrypted: { client: Client; connection: Connection };
let codecServer: FastifyInstance;
let codecUrl: string;
let encryptedQueue: string;

function putCustomer(id: string, p: ReturnType<typeof pii>): void {
  stack.app4sales.state.putCustomer(
    app4salesCustomer({
      Id: id,
      CustomerName: p.name,
      Email: p.email,
      Phone: p.phone,
      MainContactPerson: { Id: 'CP-1', FullName: 'Anna Berg', FirstName: 'Anna', LastName: 'Berg', Email: p.email },
      ContactPersons: [],
      VisitAddress: { AddressLine1: 'Storgatan 1', City: 'Stockholm', Country: 'SE', PostCode: '111 22' },
    }),
  );
}

/** Every base64 `data` of a payload in exported JSON, decoded to text (what a JSON scan would otherwise miss). */
function payloadTexts(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => payloadTexts(n, out));
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (typeof o.data === 'string' && o.metadata && typeof o.metadata === 'object') out.push(Buffer.from(o.data, 'base64').toString('latin1'));
    Object.values(o).forEach((v) => payloadTexts(v, out));
  }
  return out;
}

/** Every JSON payload `{metadata, data}` (base64) in exported JSON. */
function jsonPayloads(node: unknown, out: Array<{ metadata: Record<string, string>; data: string }> = []) {
  if (Array.isArray(node)) node.forEach((n) => jsonPayloads(n, out));
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (typeof o.data === 'string' && o.metadata && typeof o.metadata === 'object') out.push(o as never);
    else Object.values(o).forEach((v) => jsonPayloads(v, out));
  }
  return out;
}

/** `temporal workflow show --output json` of a workflow, as an operator exports it; with extra flags (codec endpoint). */
async function exportHistory(workflowId: string, extra: string[] = []): Promise<{ text: string; json: unknown }> {
  const { stdout } = await run(temporalCliPath(), ['workflow', 'show', '--address', stack.env.address, '--namespace', 'default', '-w', workflowId, '--output', 'json', ...extra], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return { text: stdout, json: JSON.parse(stdout) };
}

/** The export as an operator or an attacker would search it: the JSON text and every payload's bytes. */
function searchable(exported: { text: string; json: unknown }): string {
  return [exported.text, ...payloadTexts(exported.json)].join('\n');
}

/** The dev server's database as stored on disk: the file and its write-ahead log. */
function databaseBytes(): string {
  return [dbFile, `${dbFile}-wal`, `${dbFile}-journal`]
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString('latin1'))
    .join('\n');
}

beforeAll(async () => {
  writeFileSync(keyFile, `# test key\n${generateKeyEntry('test-2026-12')}\n`);
  chmodSync(keyFile, 0o600);
  stack = await startStack({ dbFilename: dbFile });
  encryptedQueue = `${stack.taskQueue}-encrypted`;
  const env = { TEMPORAL_ADDRESS: stack.env.address, FIELDBRIDGE_ENCRYPTION_KEY_FILE: keyFile };
  // The client every FieldBridge process uses (connectClient), configured from the environment.
  encrypted = await connectClient(loadConfig(['temporal'], env).temporal);
  const cfg = loadConfig(['temporal', 'codecServer'], { ...env, CODEC_SERVER_TOKEN: CODEC_TOKEN });
  codecServer = buildCodecServer(codecServerOptions(cfg, testLogger));
  codecUrl = await codecServer.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await encrypted?.connection.close();
  await codecServer?.close();
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a synced customer is ciphertext in the history and the database file, and readable through the codec server', async () => {
  // The production worker process, its keys from a key file (FIELDBRIDGE_ENCRYPTION_KEY_FILE).
  worker = spawn(process.execPath, ['--require', 'tsx/cjs', 'worker/main.ts'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: workerProcessEnv(stack, { TEMPORAL_TASK_QUEUE: encryptedQueue, FIELDBRIDGE_ENCRYPTION_KEY_FILE: keyFile, LOG_LEVEL: 'info' }),
  });
  await new Promise<void>((resolve, reject) => {
    worker!.stdout!.on('data', (chunk: Buffer) => {
      workerOutput += chunk.toString();
      if (workerOutput.includes('"msg":"worker started"')) resolve();
    });
    worker!.stderr!.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
    worker!.once('exit', (code) => reject(new Error(`worker exited with ${code} before starting:\n${workerOutput}`)));
  });
  expect(workerOutput).toContain('"msg":"payload encryption on"');

  // The encrypted sync, started the way the receiver starts it (through connectClient's client).
  const secretId = `ENC-${Date.now()}`;
  putCustomer(secretId, secret);
  await startCustomerUpsert(encrypted.client, encryptedQueue, secretId, { eventId: `evt-${secretId}` });
  const secretHandle = encrypted.client.workflow.getHandle<typeof customerUpsert>(customerUpsertWorkflowId(secretId));
  const secretResult = await secretHandle.result();
  expect(secretResult).toEqual(expect.objectContaining({ customerId: secretId, specterCustomerId: expect.any(String), created: true }));
  // It really reached Specter with the customer's data.
  expect(JSON.stringify([...stack.specter.state.customers.values()])).toContain(secret.email);

  // Control: the same sync by a worker without keys (the stack's plain client and in-process worker).
  const controlId = `PLAIN-${Date.now()}`;
  putCustomer(controlId, control);
  await stack.withWorker(async () => {
    await startCustomerUpsert(stack.env.client, stack.taskQueue, controlId, { eventId: `evt-${controlId}` });
    await stack.env.client.workflow.getHandle<typeof customerUpsert>(customerUpsertWorkflowId(controlId)).result();
  });

  // The exported histories: the control's customer data is there, the encrypted one's is not.
  const secretExport = searchable(await exportHistory(customerUpsertWorkflowId(secretId)));
  const controlExport = searchable(await exportHistory(customerUpsertWorkflowId(controlId)));
  for (const value of Object.values(control)) expect(controlExport).toContain(value);
  for (const value of Object.values(secret)) expect(secretExport).not.toContain(value);
  expect(secretExport).toContain(secretId); // ids stay readable (workflow id, search attributes)

  // The database file on disk (and its WAL): same result.
  const db = databaseBytes();
  expect(db).toContain(control.email);
  expect(db).toContain(control.name);
  for (const value of Object.values(secret)) expect(db).not.toContain(value);

  // What the UI shows through the codec server: the payloads of the exported history, decoded.
  const exported = await exportHistory(customerUpsertWorkflowId(secretId));
  const payloads = jsonPayloads(exported.json).filter((p) => Buffer.from(p.metadata.encoding ?? '', 'base64').toString() === 'binary/encrypted');
  expect(payloads.length).toBeGreaterThan(3);
  // Each carries the id of the key it was encrypted with.
  expect(new Set(payloads.map((p) => Buffer.from(p.metadata['encryption-key-id'], 'base64').toString()))).toEqual(new Set(['test-2026-12']));
  const decoded = await request(`${codecUrl}/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', authorization: `Bearer ${CODEC_TOKEN}`, origin: 'http://127.0.0.1:8233' },
    body: JSON.stringify({ payloads }),
  });
  expect(decoded.statusCode).toBe(200);
  expect(decoded.headers['access-control-allow-origin']).toBe('http://127.0.0.1:8233');
  const clear = ((await decoded.body.json()) as { payloads: Array<{ data: string }> }).payloads.map((p) => Buffer.from(p.data, 'base64').toString()).join('\n');
  for (const value of Object.values(secret)) expect(clear).toContain(value);

  // And `temporal workflow show` pointed at the codec server, as the UI is: the history in clear.
  const viaCodec = searchable(await exportHistory(customerUpsertWorkflowId(secretId), ['--codec-endpoint', codecUrl, '--codec-auth', `Bearer ${CODEC_TOKEN}`]));
  expect(viaCodec).toContain(secret.email);

  // A history read in code (handle.fetchHistory(), as the CLI's readers do) is ciphertext until decoded with the client's converter.
  const history = await encrypted.client.workflow.getHandle(customerUpsertWorkflowId(secretId)).fetchHistory();
  // Activity results: an activity's in ActivityTaskCompleted, a local activity's (the App4Sales load) in its marker's details.
  const resultTexts = () =>
    (history.events ?? [])
      .flatMap((e) => [
        ...(e.activityTaskCompletedEventAttributes?.result?.payloads ?? []),
        ...Object.values(e.markerRecordedEventAttributes?.details ?? {}).flatMap((d) => d.payloads ?? []),
      ])
      .map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('latin1'))
      .join('\n');
  expect(resultTexts()).not.toContain(secret.email);
  await decodeHistoryPayloads(encrypted.client.options.loadedDataConverter, history);
  expect(resultTexts()).toContain(secret.email);

  // The CLI's readers decode too: status reads the result through the encrypted client.
  const report = await describeSync(encrypted.client, customerUpsertWorkflowId(secretId));
  expect(report.workflowStatus).toBe('COMPLETED');
  expect(report.targetCode).toBe(secretResult.specterCustomerId);
});

test('a failure is encrypted too (message and stack), and `fieldbridge status` still reads it', async () => {
  expect(worker?.exitCode).toBeNull(); // the encrypted worker of the first test
  const id = `ENC-FAIL-${Date.now()}`;
  putCustomer(id, pii('failing'));
  stack.app4sales.state.putCustomer({ ...stack.app4sales.state.customers.get(id)!, CustomerName: '', ContactPersons: [{ Id: 'c', FirstName: 'Only' }] } as never);
  await startCustomerUpsert(encrypted.client, encryptedQueue, id, { eventId: `evt-${id}` });
  const err = await encrypted.client.workflow.getHandle(customerUpsertWorkflowId(id)).result().catch((e: Error) => e);
  expect(err).toBeInstanceOf(Error);

  const exported = await exportHistory(customerUpsertWorkflowId(id));
  const failedEvent = (exported.json as { events: Array<Record<string, { failure?: { message?: string; applicationFailureInfo?: { type?: string } } }>> }).events.find(
    (e) => e.workflowExecutionFailedEventAttributes,
  )!;
  // In the history: no message, no stack, only the type; the text is in the encrypted attributes.
  expect(failedEvent.workflowExecutionFailedEventAttributes.failure?.message).toBe('Encoded failure');
  expect(searchable(exported)).not.toContain('SurName');

  const report = await describeSync(encrypted.client, customerUpsertWorkflowId(id));
  expect(report.syncStatus).toBe('failed');
  expect(report.failure?.type).toBe('MissingRequiredFields');
  expect(report.lastError).toContain(id);
  expect(report.lastError).toContain('SurName');
});
