/**
 * Which Temporal failures the sender is asked to retry (503) and which are a misconfiguration an
 * operator must fix (500). The errors are built as @temporalio/client throws them (a ServiceError
 * whose cause is the grpc-js error with its status code): gRPC statuses a dev server cannot be made
 * to return (RESOURCE_EXHAUSTED, PERMISSION_DENIED, UNAUTHENTICATED). The ones it can return are
 * tested against real dev servers in test/e2e/receiver-temporal.test.ts.
 */
import { ServiceError } from '@temporalio/client';
import { NamespaceNotFoundError } from '@temporalio/common';
import { classifyTemporalError, describeTrouble } from '../../client/readiness';

/** As @grpc/grpc-js builds a ServiceError: code, details and metadata. */
function grpcError(code: number, name: string, details: string): Error {
  return Object.assign(new Error(`${code} ${name}: ${details}`), { code, details, metadata: {} });
}
const fromSignalWithStart = (cause: Error) => new ServiceError('Failed to signalWithStart Workflow', { cause });

test.each([
  [14, 'UNAVAILABLE', 'No connection established'],
  [4, 'DEADLINE_EXCEEDED', 'Deadline exceeded after 3.001s'],
  [8, 'RESOURCE_EXHAUSTED', 'namespace rate limit exceeded'],
  // Seen by the chaos run (npm run chaos) on a loaded dev server: Temporal slow, not FieldBridge misconfigured.
  [1, 'CANCELLED', 'Call cancelled'],
])('%s %s: unavailable, retry later', (code, name, details) => {
  expect(classifyTemporalError(fromSignalWithStart(grpcError(code, name, details)), 'default')).toEqual({ kind: 'unavailable', grpcStatus: name, detail: details });
});

test.each([
  [7, 'PERMISSION_DENIED', 'Request unauthorized.'],
  [16, 'UNAUTHENTICATED', 'invalid API key'],
])('%s %s: misconfigured (credentials), naming the namespace in the log line', (code, name, details) => {
  const trouble = classifyTemporalError(fromSignalWithStart(grpcError(code, name, details)), 'acme.a1b2c');
  expect(trouble).toMatchObject({ kind: 'misconfigured', problem: 'permission-denied', grpcStatus: name, namespace: 'acme.a1b2c' });
  expect(describeTrouble(trouble)).toContain('"acme.a1b2c"');
  expect(describeTrouble(trouble)).toContain(details);
});

test('an unregistered search attribute is named', () => {
  const trouble = classifyTemporalError(
    fromSignalWithStart(grpcError(3, 'INVALID_ARGUMENT', 'Namespace default has no mapping defined for search attribute FieldBridgeSyncKind')),
    'default',
  );
  expect(trouble).toMatchObject({ kind: 'misconfigured', problem: 'search-attribute-not-registered', searchAttribute: 'FieldBridgeSyncKind' });
});

test('another INVALID_ARGUMENT, an unknown namespace, and a non-gRPC error are misconfigurations, not retries', () => {
  expect(classifyTemporalError(fromSignalWithStart(grpcError(3, 'INVALID_ARGUMENT', 'WorkflowId is too long')), 'default')).toMatchObject({ kind: 'misconfigured', problem: 'invalid-request' });
  expect(classifyTemporalError(new NamespaceNotFoundError('nope'), 'nope')).toMatchObject({ kind: 'misconfigured', problem: 'namespace-not-found', namespace: 'nope' });
  expect(classifyTemporalError(fromSignalWithStart(grpcError(13, 'INTERNAL', 'boom')), 'default')).toMatchObject({ kind: 'misconfigured', problem: 'unexpected', grpcStatus: 'INTERNAL' });
  expect(classifyTemporalError(new TypeError('x is not a function'), 'default')).toMatchObject({ kind: 'misconfigured', problem: 'unexpected', detail: 'x is not a function' });
});
