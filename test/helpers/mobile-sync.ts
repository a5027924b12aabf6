/**
 * The frame of the dispatch-flow tests (ServiceChannel work order -> ServicePower mobile work order)
 * on the dev server: one stack per file, reset before each test (both simulators back to their demo
 * data), a fresh ServiceChannel work order per test, and delivering events the way the receiver does
 * (signal-with-start, common/starters.ts).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { startWorkOrderToMobile, workOrderToMobileSearchAttributes } from '../../common/starters';
import { DEMO_LOCATION_IDS, DEMO_SUBSCRIBER_IDS } from '../../connectors/servicechannel/demo-data';
import type { WorkOrderInput } from '../../connectors/servicechannel/simulator-state';
import {
  mobileStatusChangedSignal,
  serviceChannelEventSignal,
  WORK_ORDER_TO_MOBILE_VERSION,
  WORK_ORDER_TO_MOBILE_WORKFLOW,
  workOrderToMobileWorkflowId,
  type ServiceChannelEvent,
  type WorkOrderToMobileInput,
} from '../../workflows/definitions';
import { workOrderMobileStateQuery, type workOrderToMobile } from '../../workflows/work-order-to-mobile';
import { writeHistoryOnce } from './histories';
import { startStack, type Stack } from './stack';

export interface MobileSyncTests {
  readonly stack: Stack;
  /** A ServiceChannel work order with a fresh id and number (default: Northwind Raleigh, HVAC, scheduled: dispatchable to tech.alvarez). */
  createWorkOrder(overrides?: Partial<WorkOrderInput>): { id: number; number: string; num: string };
  /** Deliver a ServiceChannel event (signal-with-start); `input` adds workflow options a test shortens. */
  send(workOrderId: number, eventType: string, eventId?: string, input?: Omit<WorkOrderToMobileInput, 'workOrderId'>): Promise<WorkflowHandle<typeof workOrderToMobile>>;
  /** The technician's move in ServicePower (no notification sent), then the notification as a signal (unless `lost`). */
  /** The technician moves the ServicePower work order (`at`: when, the Actual* date recorded; default now). */
  technician(workOrderId: number, num: string, orderStatus: string, opts?: { note?: string; lost?: boolean; at?: string }): Promise<void>;
  handle(workOrderId: number): WorkflowHandle<typeof workOrderToMobile>;
  state(workOrderId: number): ReturnType<typeof queryState>;
}

function queryState(handle: WorkflowHandle<typeof workOrderToMobile>) {
  return handle.query(workOrderMobileStateQuery);
}

// Ids stay unique across the tests of a file: workflow ids derive from them.
let nextId = 50_000_000 + Math.floor(Math.random() * 1000) * 1000;

export function useMobileSyncStack(): MobileSyncTests {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => stack!.reset());
  const tests: MobileSyncTests = {
    get stack() {
      if (!stack) throw new Error('the stack starts in beforeAll');
      return stack;
    },
    createWorkOrder(overrides = {}) {
      const id = nextId++;
      const wo = stack!.servicechannel.state.createWorkOrder(
        {
          Id: id,
          Number: String(id),
          SubscriberId: DEMO_SUBSCRIBER_IDS.northwind,
          LocationId: DEMO_LOCATION_IDS.northwindRaleigh,
          PurchaseNumber: `PO-${id}`,
          Priority: 'P2 - 24 Hours',
          Trade: 'HVAC',
          Category: 'REPAIR',
          ProblemCode: 'NO COOLING',
          ScheduledDate: '2026-01-07T14:00:00.000Z',
          Nte: 500,
          Description: 'Rooftop unit 3 not cooling',
          Caller: 'Dana Whitfield (store manager)',
          ...overrides,
        },
        { notify: false },
      );
      return { id: wo.Id, number: wo.Number, num: `SC${wo.Id}` };
    },
    async send(workOrderId, eventType, eventId = `${eventType}:${workOrderId}:${Date.now()}:${Math.random()}`, input) {
      const event: ServiceChannelEvent = { eventId, eventType, source: 'webhook' };
      if (input) {
        await stack!.env.client.workflow.signalWithStart<typeof workOrderToMobile, [ServiceChannelEvent]>(WORK_ORDER_TO_MOBILE_WORKFLOW, {
          workflowId: workOrderToMobileWorkflowId(workOrderId),
          taskQueue: stack!.taskQueue,
          args: [{ workOrderId, version: WORK_ORDER_TO_MOBILE_VERSION, ...input }],
          signal: serviceChannelEventSignal,
          signalArgs: [event],
          typedSearchAttributes: workOrderToMobileSearchAttributes(workOrderId),
        });
      } else {
        await startWorkOrderToMobile(stack!.env.client, stack!.taskQueue, workOrderId, event);
      }
      return tests.handle(workOrderId);
    },
    async technician(workOrderId, num, orderStatus, opts = {}) {
      const { notification } = stack!.servicepower.state.setOrderStatus(num, { OrderStatus: orderStatus, ...(opts.note ? { note: opts.note } : {}), ...(opts.at ? { at: opts.at } : {}) }, { notify: false });
      if (opts.lost) return;
      await tests.handle(workOrderId).signal(mobileStatusChangedSignal, {
        eventId: notification.EventID,
        workOrderNum: num,
        orderStatus: String(notification.OrderStatus),
        ...(notification.Note ? { note: notification.Note } : {}),
      });
    },
    handle(workOrderId) {
      return stack!.env.client.workflow.getHandle<typeof workOrderToMobile>(workOrderToMobileWorkflowId(workOrderId));
    },
    state(workOrderId) {
      return queryState(tests.handle(workOrderId));
    },
  };
  return tests;
}

/** With RECORD_HISTORIES=1, keep a run's history as a replay fixture (npm run record-histories). */
export async function keepMobileHistory(stack: Stack, name: string, workOrderId: number, runId?: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await stack.env.client.workflow.getHandle(workOrderToMobileWorkflowId(workOrderId), runId).fetchHistory();
  // Named after the command sequence it records (the unprefixed files are the first sequence's).
  writeHistoryOnce(`work-order-to-mobile-v${WORK_ORDER_TO_MOBILE_VERSION}-${name}.json`, history);
}

/** The inputs of one activity type in a work order's run (default: its latest run), in order. */
export async function activityInputs(stack: Stack, workOrderId: number, activityType: string, runId?: string): Promise<unknown[]> {
  const history = await stack.env.client.workflow.getHandle(workOrderToMobileWorkflowId(workOrderId), runId).fetchHistory();
  const inputs: unknown[] = [];
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name !== activityType) continue;
    const payload = scheduled.input?.payloads?.[0];
    inputs.push(payload?.data ? JSON.parse(Buffer.from(payload.data).toString('utf8')) : undefined);
  }
  return inputs;
}

/** With RECORD_HISTORIES=1, keep a reconciliation run's history as a replay fixture. */
export async function keepReconcileHistory(stack: Stack, name: string, workflowId: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await stack.env.client.workflow.getHandle(workflowId).fetchHistory();
  writeHistoryOnce(`work-order-reconcile-${name}.json`, history);
}
