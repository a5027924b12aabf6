/**
 * The frame every job-sync test file on the dev server shares: one stack for the file, reset before
 * each test (ServiceTrade and Spectrum simulators back to their demo data), a fresh ServiceTrade job
 * per test, and starting a sync the way the receiver and the CLI do.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { jobToWorkOrderSearchAttributes, startJobToWorkOrder } from '../../common/starters';
import { DEMO_LOCATION_IDS } from '../../connectors/servicetrade/demo-data';
import type { JobInput } from '../../connectors/servicetrade/simulator-state';
import type { StoredWorkOrder } from '../../connectors/spectrum/simulator';
import {
  JOB_TO_WORK_ORDER_WORKFLOW,
  jobToWorkOrderWorkflowId,
  sourceChangedSignal,
  type JobToWorkOrderInput,
  type SourceChange,
} from '../../workflows/definitions';
import type { jobToWorkOrder } from '../../workflows/job-to-work-order';
import { writeHistoryOnce } from './histories';
import { startStack, type Stack } from './stack';

export interface JobSyncTests {
  readonly stack: Stack;
  /** Put a ServiceTrade job with a fresh id and number (default: at the mapped demo location, five items). */
  createJob(overrides?: Partial<JobInput>): { id: number; number: string };
  /**
   * Signal-with-start the job's sync, as the receiver does; returns its handle. `input` adds
   * workflow options a test shortens (e.g. linesHeartbeatTimeoutMs).
   */
  sync(jobId: number, eventId?: string, input?: Omit<JobToWorkOrderInput, 'jobId'>): Promise<WorkflowHandle<typeof jobToWorkOrder>>;
  /** The Spectrum work order of a job (leading character S, as the test settings say). */
  workOrder(jobNumber: string): StoredWorkOrder | undefined;
}

/** The demo job's five items: four library items (two LABOR lines) and one that is not in the library. */
/** A ServiceTrade repair job at a mapped location with FIVE_ITEMS (below), as the job-sync tests create them. */
export function testJob(id: number, overrides: Partial<JobInput> = {}): JobInput {
  return {
    id,
    number: String(id),
    name: `Test job ${id}`,
    type: 'repair',
    description: 'Rooftop unit not cooling',
    locationId: DEMO_LOCATION_IDS.northwindHq,
    created: 1_767_603_600,
    services: [{ serviceLineId: 11, description: 'Repair' }],
    items: FIVE_ITEMS,
    ...overrides,
  };
}

export const FIVE_ITEMS: NonNullable<JobInput['items']> = [
  { libItemId: 501, quantity: 4, cost: 6.5, price: 14, uom: 'each' },
  { libItemId: 502, quantity: 2, cost: 9.25, price: 22.5, uom: 'each' },
  { libItemId: 503, quantity: 3.5, cost: 45, price: 110, uom: 'hour', description: 'Diagnosis and repair' },
  { libItemId: 503, quantity: 1, cost: 67.5, price: 165, uom: 'hour', description: 'After-hours labor' },
  { libItemId: null, name: 'Condensate pan tablets', quantity: 1, cost: 12.4, price: 25, uom: 'box' },
];

/** Material lines as a comparable list: item code, quantity and description, sorted. */
export function linesOf(order: StoredWorkOrder | undefined): string[] {
  return (order?.materials ?? []).map((l) => `${l.Item_Code} x${l.Quantity_Used} ${l.Item_Description}`).sort();
}

// Job ids stay unique across the tests of a file: workflow ids derive from them, and the dev server
// keeps every earlier test's syncs.
let nextJobId = 10_000 + Math.floor(Math.random() * 1000) * 100;

export function useJobSyncStack(): JobSyncTests {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => stack!.reset());
  return {
    get stack() {
      if (!stack) throw new Error('the stack starts in beforeAll');
      return stack;
    },
    createJob(overrides = {}) {
      const job = stack!.servicetrade.state.createJob(testJob(nextJobId++, overrides), { notify: false });
      return { id: job.id, number: job.number };
    },
    async sync(jobId, eventId = `evt-${jobId}-${Date.now()}`, input) {
      if (input) {
        await stack!.env.client.workflow.signalWithStart<typeof jobToWorkOrder, [SourceChange]>(JOB_TO_WORK_ORDER_WORKFLOW, {
          workflowId: jobToWorkOrderWorkflowId(jobId),
          taskQueue: stack!.taskQueue,
          args: [{ jobId, ...input }],
          signal: sourceChangedSignal,
          signalArgs: [{ eventId }],
          typedSearchAttributes: jobToWorkOrderSearchAttributes(jobId),
        });
      } else {
        await startJobToWorkOrder(stack!.env.client, stack!.taskQueue, jobId, { eventId });
      }
      return stack!.env.client.workflow.getHandle<typeof jobToWorkOrder>(jobToWorkOrderWorkflowId(jobId));
    },
    workOrder(jobNumber) {
      return stack!.spectrum.state.workOrder(`S${jobNumber}`);
    },
  };
}

/**
 * With RECORD_HISTORIES=1, keep a run's history as a replay fixture (npm run record-histories). Runs
 * of version 3 or later (their input's `version`) are kept as `v<version>-job-to-work-order-<name>`,
 * beside the version 2 ones recorded under the bare name.
 */
export async function keepJobHistory(stack: Stack, name: string, jobId: number, runId?: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const client = stack.env.client;
  const history = await client.workflow.getHandle(jobToWorkOrderWorkflowId(jobId), runId).fetchHistory();
  const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const input = payloads.length > 0 ? await decodeFromPayloadsAtIndex<JobToWorkOrderInput>(client.options.loadedDataConverter, 0, payloads) : undefined;
  const version = input?.version ?? 1;
  writeHistoryOnce(`${version >= 3 ? `v${version}-` : ''}job-to-work-order-${name}.json`, history);
}

/** One execution of an activity in a run's history: its type, the attempt that ended it, and how it ended. */
export interface ActivityRun {
  activityType: string;
  /** The attempt that completed or failed last (1 = no retry). */
  attempt: number;
  /** The failure of the attempt before `attempt` (Temporal keeps it on the started event). */
  lastFailure: { message: string; type?: string; timeoutType?: number } | null;
  outcome: 'completed' | 'failed' | 'timed-out' | 'cancelled' | 'open';
}

/**
 * The activities of a job sync's run (default: its latest run), in the order they were scheduled;
 * local activities (a run of version 2: the load, the header, the quick write-back) from their
 * markers, with the attempt that ended them.
 */
export async function activityRuns(stack: Stack, jobId: number, runId?: string): Promise<ActivityRun[]> {
  const client = stack.env.client;
  const history = await client.workflow.getHandle(jobToWorkOrderWorkflowId(jobId), runId).fetchHistory();
  const runs = new Map<number, ActivityRun>();
  for (const event of history.events ?? []) {
    const id = Number(event.eventId);
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity' && marker.details?.data?.payloads?.length) {
      // Core writes the marker's data in snake case (activity_type).
      const data = await decodeFromPayloadsAtIndex<{ activity_type?: string; attempt?: number }>(client.options.loadedDataConverter, 0, marker.details.data.payloads);
      const failure = marker.failure;
      runs.set(id, {
        activityType: data?.activity_type ?? '',
        attempt: data?.attempt ?? 0,
        lastFailure: null,
        outcome: !failure ? 'completed' : failure.canceledFailureInfo ? 'cancelled' : failure.timeoutFailureInfo || failure.cause?.timeoutFailureInfo ? 'timed-out' : 'failed',
      });
    }
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) runs.set(id, { activityType: scheduled.activityType?.name ?? '', attempt: 0, lastFailure: null, outcome: 'open' });
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const run = runs.get(Number(started.scheduledEventId))!;
      run.attempt = started.attempt ?? 0;
      const failure = started.lastFailure;
      run.lastFailure = failure
        ? {
            message: failure.message ?? '',
            type: failure.applicationFailureInfo?.type ?? failure.cause?.applicationFailureInfo?.type ?? undefined,
            timeoutType: failure.timeoutFailureInfo?.timeoutType ?? undefined,
          }
        : null;
    }
    const ended: Array<[ActivityRun['outcome'], { scheduledEventId?: unknown } | null | undefined]> = [
      ['completed', event.activityTaskCompletedEventAttributes],
      ['failed', event.activityTaskFailedEventAttributes],
      ['timed-out', event.activityTaskTimedOutEventAttributes],
      ['cancelled', event.activityTaskCanceledEventAttributes],
    ];
    for (const [outcome, attrs] of ended) if (attrs) runs.get(Number(attrs.scheduledEventId))!.outcome = outcome;
  }
  return [...runs.values()];
}

/** The item code a Spectrum DeleteWOMaterialCost/AddWOMaterialCost log entry was about, read from its answer. */
export function itemCodeOf(entry: { rows?: Array<{ desc: string }> }): string | undefined {
  for (const row of entry.rows ?? []) {
    const match = /\bitem ([^\s)]+)/.exec(row.desc);
    if (match) return match[1];
  }
  return undefined;
}

/** What the sync sent Spectrum beyond reading its customer list (GetCustomers verifies mapped codes). */
export function spectrumWrites(stack: Stack) {
  return stack.spectrum.state.requests.filter((r) => r.service !== 'GetCustomers');
}
