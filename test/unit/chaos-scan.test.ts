/**
 * The chaos run's secrets scan and its command line (chaos/verify.ts, chaos/run.ts): a leak is found
 * wherever its bytes are (a log line, a protobuf-encoded history, a database page), reported by
 * name and count, never by value; an e-mail counts only when it is a customer's.
 */
import { parseArgs } from '../../chaos/run';
import { isBadSourceId } from '../../chaos/records';
import { scanSecrets, type ScanTarget } from '../../chaos/verify';

const SECRETS = { APP4SALES_API_KEY: 'chaos-a4s-key-0123456789abcdef', SERVICECHANNEL_PASSWORD: 'chaos-sc-password-fedcba9876543210' };
const EMAILS = ['anna.berg@bench-chaos-0001.example.se', 'office@bench-chaos-0002.example.no'];

test('secrets and customer e-mails found in logs, binary histories and database pages; only names and counts reported', () => {
  const protobufLike = Buffer.concat([Buffer.from([0x0a, 0x27, 0x12]), Buffer.from(EMAILS[0]!, 'utf8'), Buffer.from([0x00, 0xff, 0x1a])]);
  const targets: ScanTarget[] = [
    { place: 'logs', name: 'worker.log', data: Buffer.from(`{"msg":"calling","key":"${SECRETS.APP4SALES_API_KEY}"}\n{"msg":"again","key":"${SECRETS.APP4SALES_API_KEY}"}\n`) },
    { place: 'logs', name: 'receiver.log', data: Buffer.from('{"msg":"ok","contact":"someone@else.example.com"}\n') },
    { place: 'histories', name: 'h1', data: protobufLike },
    { place: 'database', name: 'temporal.db', data: Buffer.concat([Buffer.alloc(100), Buffer.from(EMAILS[1]!.toUpperCase()), Buffer.alloc(10)]) },
  ];
  const result = scanSecrets(targets, SECRETS, EMAILS);
  expect(result.leaked).toEqual({ secrets: { logs: 1, histories: 0, database: 0 }, emails: { logs: 0, histories: 1, database: 1 } });
  expect(result.hits).toEqual(
    expect.arrayContaining([
      { place: 'logs', file: 'worker.log', what: 'APP4SALES_API_KEY', count: 2 },
      { place: 'database', file: 'temporal.db', what: 'customer e-mail', count: 1 },
      { place: 'histories', file: '(all exported histories)', what: 'customer e-mail', count: 1 },
    ]),
  );
  expect(JSON.stringify(result)).not.toContain(SECRETS.APP4SALES_API_KEY);
  expect(JSON.stringify(result)).not.toContain(EMAILS[0]);
});

test('nothing found, nothing reported', () => {
  const result = scanSecrets([{ place: 'logs', name: 'worker.log', data: Buffer.from('{"msg":"worker started"}\n') }], SECRETS, EMAILS);
  expect(result.hits).toEqual([]);
  expect(result.secretsSearched).toBe(2);
  expect(result.emailsSearched).toBe(2);
});

test('the ids only bad webhooks name are told apart from planned records', () => {
  expect(isBadSourceId('A4S-BAD-17')).toBe(true);
  expect(isBadSourceId('9900018')).toBe(true);
  expect(isBadSourceId('99000005')).toBe(true);
  expect(isBadSourceId('A4S-BENCH-CHAOS-0001')).toBe(false);
  expect(isBadSourceId('700001')).toBe(false);
  expect(isBadSourceId('80000001')).toBe(false);
  expect(isBadSourceId(null)).toBe(false);
});

test('command line: options parsed and checked, both servers at once', () => {
  expect(parseArgs(['--n', '30', '--deliveries=5', '--temporal', 'dev,postgres', '--no-server-restart'])).toMatchObject({ n: 30, deliveries: 5, temporal: ['dev', 'postgres'], 'no-server-restart': true });
  expect(parseArgs([])).toMatchObject({ temporal: ['dev'] });
  expect(() => parseArgs(['--fault-rate', '1.5'])).toThrow(/--fault-rate/);
  expect(() => parseArgs(['--temporal', 'mysql'])).toThrow(/--temporal/);
  expect(() => parseArgs(['--no-such-option', '1'])).toThrow(/no-such-option/);
});
