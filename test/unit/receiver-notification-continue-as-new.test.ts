/**
 * A ServicePower notification that arrives while its work order's workflow continues as new reaches
 * the new run (issue 15, Medium: "notifications answered 202 and dropped around continue-as-new"):
 * the receiver signals the workflow id, never a run id read before. Real dev server, the worker, both
 * simulators, the receiver built as in production. The rollover is placed deterministically between
 * the receiver's first Temporal call about the workflow and the signal (a client wrapper rolls the
 * workflow over there), which is where a run id read first goes stale.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { buildReceiver } from '../../client/receiver';
import { workflowByMobileNumberQuery } from '../../client/servicepower-notification';
import { loadConfig } from '../../common/config';
import { notificationHeaders } from '../../connectors/servicepower/notifications';
import { workOrderToMobileWorkflowId } from '../../workflows/definitions';
import { useMobileSyncStack } from '../helpers/mobile-sync';
import { eventually, testLogger } from '../helpers/stack';

jest.setTimeout(120_000);

const SECRET = 'servicepower-notification-secret-0123';
const mobile = { mobileSync: { rereadIntervalMs: 60 * 60_000 } };
const t = useMobileSyncStack();

/**
 * The stack's client, except that the first describe or signal of `workflowId` first runs `rollover`
 * (after describe has read the run: its run id is then stale; before a signal: the signal comes after it).
 */
function rollingOverClient(client: Client, workflowId: string, rollover: () => Promise<void>): Client {
  let armed = true;
  const once = async () => {
    if (!armed) return;
    armed = false;
    await rollover();
  };
  const handleProxy = (handle: object) =>
    new Proxy(handle, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'describe' && typeof value === 'function') {
          return async (...args: unknown[]) => {
            const description = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            await once();
            return description;
          };
        }
        if (prop === 'signal' && typeof value === 'function') {
          return async (...args: unknown[]) => {
            await once();
            return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          };
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  const workflow = new Proxy(client.workflow, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'getHandle') {
        return (id: string, ...rest: unknown[]) => {
          const handle = (value as (...a: unknown[]) => object).call(target, id, ...rest);
          return id === workflowId ? handleProxy(handle) : handle;
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'workflow') return workflow;
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

let receiver: FastifyInstance | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

it('a notification sent while the workflow continues as new reaches the new run (signalled by workflow id), not answered 202 and dropped', async () => {
  const wo = t.createWorkOrder();
  const workflowId = workOrderToMobileWorkflowId(wo.id);
  const client = t.stack.env.client;
  await t.stack.withWorker(async () => {
    const input = { maxEventsPerRun: 2 };
    const first = await t.send(wo.id, 'WorkOrderCreated', `created:${wo.id}`, input);
    const firstRun = (await first.describe()).runId;
    await eventually(async () => (await client.workflow.count(workflowByMobileNumberQuery(wo.num))).count > 0, 30_000, 'the mobile number visible');

    let newRun = '';
    const rollover = async () => {
      // Two more events: the run continues as new (maxEventsPerRun 2).
      await t.send(wo.id, 'WorkOrderNoteAdded', `note:${wo.id}:1`, input);
      await t.send(wo.id, 'WorkOrderNoteAdded', `note:${wo.id}:2`, input);
      await eventually(async () => {
        const d = await client.workflow.getHandle(workflowId).describe();
        newRun = d.runId;
        return d.runId !== firstRun && d.status.name === 'RUNNING';
      }, 30_000, 'continued as new');
    };
    receiver = buildReceiver({
      ...loadConfig(['receiver'], {}).receiver,
      client: rollingOverClient(client, workflowId, rollover),
      taskQueue: t.stack.taskQueue,
      logger: testLogger,
      app4salesWebhookSecret: 'a-secret-of-at-least-16',
      servicetradeWebhook: { token: 'st-hook-token-0123456789abcdef', autoSyncNewJobs: false },
      servicepowerNotification: { secret: SECRET },
      startDeadlineMs: 60_000,
    });
    const url = await receiver.listen({ host: '127.0.0.1', port: 0 });
    const raw = JSON.stringify({
      EventID: `sp-${wo.num}-7`,
      EventType: 'OrderStatusChanged',
      WorkOrderNum: wo.num,
      OrderStatus: '7',
      PreviousOrderStatus: '1',
      UserName: 'tech.alvarez',
      ChangedUTC: new Date().toISOString(),
    });
    const res = await request(`${url}/webhooks/servicepower`, { method: 'POST', headers: { 'content-type': 'application/json', ...notificationHeaders(SECRET, raw) }, body: raw });
    const body = (await res.body.json()) as Record<string, unknown>;
    expect(res.statusCode).toBe(202);
    expect(body).toMatchObject({ accepted: true, workflowId });

    // The signal is in the new run's history (a signal that arrives while a workflow task is in flight is
    // written to the history when that task completes: wait for it rather than read it once).
    expect(newRun).not.toBe(firstRun);
    const signalsOf = async (runId: string) => {
      const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
      return (history.events ?? [])
        .map((e) => e.workflowExecutionSignaledEventAttributes)
        .filter((a): a is NonNullable<typeof a> => !!a && a.signalName === 'mobileStatusChanged')
        .map((a) => (defaultPayloadConverter.fromPayload(a.input!.payloads![0]!) as { eventId: string }).eventId);
    };
    await eventually(async () => (await signalsOf(newRun)).length > 0, 30_000, 'the field status signal in the new run');
    expect(await signalsOf(newRun)).toEqual([`sp-${wo.num}-7`]);
    expect(await signalsOf(firstRun)).toEqual([]);
  }, { mobile });
});
