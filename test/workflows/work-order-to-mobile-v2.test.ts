/**
 * The holes issue 15 found in the ServiceChannel -> ServicePower flow, on the dev server with both
 * simulators: each test runs an event sequence or a fault that broke the first command sequence.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { resetServiceChannelTokenCache } from '../../connectors/servicechannel/client';
import { DEMO_LOCATION_IDS, DEMO_SUBSCRIBER_IDS } from '../../connectors/servicechannel/demo-data';
import { retrySync } from '../../client/retry';
import { recheckSignal, workOrderToMobileWorkflowId } from '../../workflows/definitions';
import { keepMobileHistory, useMobileSyncStack } from '../helpers/mobile-sync';
import { eventually } from '../helpers/stack';

jest.setTimeout(120_000);

const t = useMobileSyncStack();
const mobile = { mobileSync: { rereadIntervalMs: 60 * 60_000 } };

function scNotes(id: number): string[] {
  return (t.stack.servicechannel.state.adminWorkOrder(id)?.Notes ?? []).map((n) => (n as { NoteData?: string }).NoteData ?? JSON.stringify(n));
}

function stored(num: string) {
  try {
    return t.stack.servicepower.state.stored(num);
  } catch {
    return undefined;
  }
}

async function dispatched(id: number): Promise<void> {
  await eventually(() => t.stack.servicechannel.state.workOrder(id)?.Status.Extended === 'DISPATCHED', 20_000, `work order ${id} dispatched`);
}

describe('workOrderToMobile, sequence 2', () => {
  it('a quiet open work order rolls its history over (re-reads count), and still reports the field once', async () => {
    const wo = t.createWorkOrder();
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated', undefined, { maxHistoryLength: 60 });
      await dispatched(wo.id);
      const first = (await t.handle(wo.id).describe()).runId;
      // Nothing happens but the re-reads: the chain must move to new runs rather than grow one history.
      await eventually(async () => ((await t.handle(wo.id).describe()).runId !== first ? true : null), 60_000, 'a rollover caused by re-reads alone');
      const history = await t.handle(wo.id).fetchHistory();
      expect((history.events ?? []).length).toBeLessThan(120);
      await t.technician(wo.id, wo.num, '7', { lost: true, at: '2026-01-07T14:07:00Z' });
      await t.technician(wo.id, wo.num, '4096', { lost: true, note: 'Done', at: '2026-01-07T15:00:00Z' });
      const result = await t.handle(wo.id).result();
      expect(result.outcome).toMatch(/closed in the field/);
      expect(t.stack.servicechannel.state.adminWorkOrder(wo.id)!.CheckIns).toHaveLength(1);
      expect(t.stack.servicepower.state.callsTo('PUT', wo.num)).toBe(1);
    }, { mobile: { mobileSync: { rereadIntervalMs: 150 } } });
  });

  it('a new run for a work order an earlier run dispatched starts from what both systems hold: nothing re-sent, the close reported once, and FieldBridge\'s own echo ends at once', async () => {
    const wo = t.createWorkOrder();
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await dispatched(wo.id);
      await t.technician(wo.id, wo.num, '7', { at: '2026-01-07T14:07:00Z' });
      await eventually(() => (t.stack.servicechannel.state.adminWorkOrder(wo.id)?.CheckIns.length ?? 0) === 1 && scNotes(wo.id).some((n) => n.includes('Technician on site')), 20_000, 'check-in and its note');
      // The run is ended by an operator; the technician closes the work order meanwhile (no notification reaches a sync).
      await t.handle(wo.id).terminate('operator ended the sync');
      await t.technician(wo.id, wo.num, '4097', { lost: true, note: 'Part on order', at: '2026-01-07T15:10:00Z' });
      const notesBefore = scNotes(wo.id).length;

      await t.send(wo.id, 'WorkOrderNoteAdded');
      const result = await t.handle(wo.id).result();
      expect(result.outcome).toMatch(/4097/);
      expect(t.stack.servicepower.state.callsTo('PUT', wo.num)).toBe(1);
      const sc = t.stack.servicechannel.state.adminWorkOrder(wo.id)!;
      expect(sc.Status).toEqual({ Primary: 'IN PROGRESS', Extended: 'INCOMPLETE' });
      expect(sc.CheckIns).toHaveLength(1);
      expect(sc.CheckIns[0]).toMatchObject({ CheckOutTime: '2026-01-07T15:10:00.000Z' });
      const notes = scNotes(wo.id);
      expect(notes.filter((n) => n.includes('Dispatched'))).toHaveLength(1);
      expect(notes.filter((n) => n.includes('Technician on site'))).toHaveLength(1);
      expect(notes.filter((n) => n.includes('closed incomplete'))).toHaveLength(1);
      expect(notes.length).toBe(notesBefore + 1);

      // ServiceChannel announces FieldBridge's own status change: the run it starts finds both sides final.
      await t.send(wo.id, 'WorkOrderStatusChanged');
      const echo = await t.handle(wo.id).result();
      expect(echo.outcome).toMatch(/4097/);
      expect(scNotes(wo.id).length).toBe(notesBefore + 1);
      expect(t.stack.servicepower.state.callsTo('PUT', wo.num)).toBe(1);
    }, { mobile });
    await keepMobileHistory(t.stack, 'adopted-after-terminate', wo.id);
  });

  it('two subscribers\' work orders with the same Number become two mobile work orders (the number is built from the Id)', async () => {
    const a = t.createWorkOrder({ Number: '7001' });
    const b = t.createWorkOrder({ Number: '7001', SubscriberId: DEMO_SUBSCRIBER_IDS.harborPoint, LocationId: DEMO_LOCATION_IDS.harborPointWilmington });
    await t.stack.withWorker(async () => {
      await t.send(a.id, 'WorkOrderCreated');
      await t.send(b.id, 'WorkOrderCreated');
      await eventually(() => stored(`SC${a.id}`) !== undefined && stored(`SC${b.id}`) !== undefined, 20_000, 'both dispatched');
      expect(stored(`SC${a.id}`)!.workOrder.Account).not.toEqual(stored(`SC${b.id}`)!.workOrder.Account);
      expect(t.stack.servicepower.state.callsTo('PUT', `SC${a.id}`)).toBe(1);
      expect(t.stack.servicepower.state.callsTo('PUT', `SC${b.id}`)).toBe(1);
      expect(stored('SC7001')).toBeUndefined();
      expect((await t.state(a.id)).workOrderNum).toBe(`SC${a.id}`);
      expect((await t.state(b.id)).workOrderNum).toBe(`SC${b.id}`);
    }, { mobile });
  });

  it.each(['COMPLETED', 'INVOICED'])('%s by the subscriber while the technician still has it: the mobile work order is withdrawn and the sync ends', async (primary) => {
    const wo = t.createWorkOrder();
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await dispatched(wo.id);
      t.stack.servicechannel.state.patchWorkOrder(wo.id, { Status: { Primary: primary } }, { notify: false });
      await t.send(wo.id, 'WorkOrderStatusChanged');
      const result = await t.handle(wo.id).result();
      expect(result.outcome).toMatch(new RegExp(`${primary.toLowerCase()} in ServiceChannel`));
      expect(t.stack.servicepower.state.callsTo('DELETE', wo.num)).toBe(1);
      expect(stored(wo.num)).toBeUndefined();
    }, { mobile });
    if (primary === 'COMPLETED') await keepMobileHistory(t.stack, 'completed-by-subscriber', wo.id);
  });

  it('a work order whose data cannot be dispatched is re-read while it waits, dispatched once fixed, and fails after the deadline otherwise', async () => {
    // Both sites lose their street address (ServicePower needs AddrLine1 and City).
    const raleigh = t.stack.servicechannel.state.locations.get(DEMO_LOCATION_IDS.northwindRaleigh)!;
    const durham = t.stack.servicechannel.state.locations.get(DEMO_LOCATION_IDS.northwindDurham)!;
    const address = { Address1: raleigh.Address1, City: raleigh.City };
    Object.assign(raleigh, { Address1: null, City: null });
    Object.assign(durham, { Address1: null, City: null });
    const fixed = t.createWorkOrder();
    const never = t.createWorkOrder({ LocationId: DEMO_LOCATION_IDS.northwindDurham });
    await t.stack.withWorker(async () => {
      await t.send(fixed.id, 'WorkOrderCreated');
      await t.send(never.id, 'WorkOrderCreated', undefined, { problemDeadlineMs: 2_000 });
      const waiting = await eventually(async () => {
        const s = await t.state(fixed.id);
        return s.status === 'waiting' ? s : null;
      }, 20_000, 'waiting on the date');
      expect(waiting.lastError).toContain(`ServiceChannel work order ${fixed.id}`);
      // Fixed in ServiceChannel without any webhook: the periodic re-read finds it.
      Object.assign(raleigh, address);
      resetServiceChannelTokenCache(); // the client keeps a location an hour; the worker runs in this process
      await dispatched(fixed.id);
      expect((await t.state(fixed.id)).status).toBe('running');

      const failure = await t.handle(never.id).result().catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect(String((failure as WorkflowFailedError).cause?.message)).toContain(`ServiceChannel work order ${never.id}`);
      expect(stored(never.num)).toBeUndefined();
    }, { mobile: { mobileSync: { rereadIntervalMs: 500 } } });
  });

  it('every transition of the field status reaches ServiceChannel: a second rejection after a reassignment is reported too', async () => {
    const wo = t.createWorkOrder();
    const fieldStatusMap = {
      '7': { checkIn: true, checkOut: false, note: 'Technician on site (mobile work order {num}).' },
      '1001': { checkIn: false, checkOut: false, note: 'Rejected in the field (mobile work order {num}). {note}' },
      '1': { checkIn: false, checkOut: false, note: 'Back to new (mobile work order {num}).' },
      '4096': { checkIn: false, checkOut: true, status: { primary: 'COMPLETED', extended: 'PENDING CONFIRMATION' }, note: 'Work completed (mobile work order {num}).' },
    };
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await dispatched(wo.id);
      await t.technician(wo.id, wo.num, '1001', { note: 'no ladder' });
      await eventually(() => scNotes(wo.id).filter((n) => n.includes('Rejected')).length === 1, 20_000, 'first rejection');
      await t.technician(wo.id, wo.num, '1');
      await eventually(() => scNotes(wo.id).some((n) => n.includes('Back to new')), 20_000, 'reassigned');
      await t.technician(wo.id, wo.num, '1001', { note: 'still no ladder' });
      await eventually(() => scNotes(wo.id).filter((n) => n.includes('Rejected')).length === 2, 20_000, 'second rejection');
    }, { mobile: { mobileSync: { rereadIntervalMs: 60 * 60_000, fieldStatusMap } } });
  });

  it('a second visit reaches ServiceChannel: en route and on site twice are each reported, and the open check-in is not made twice', async () => {
    const wo = t.createWorkOrder();
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await dispatched(wo.id);
      const count = (text: string) => scNotes(wo.id).filter((n) => n.includes(text)).length;
      await t.technician(wo.id, wo.num, '6');
      await eventually(() => count('en route') === 1, 20_000, 'first trip');
      await t.technician(wo.id, wo.num, '7', { at: '2026-01-07T14:07:00Z' });
      await eventually(() => count('on site') === 1, 20_000, 'first visit');
      // Gone for parts and back: the same two status values again.
      await t.technician(wo.id, wo.num, '6');
      await eventually(() => count('en route') === 2, 20_000, 'second trip');
      await t.technician(wo.id, wo.num, '7', { at: '2026-01-07T16:30:00Z' });
      await eventually(() => count('on site') === 2, 20_000, 'second visit');
      expect(t.stack.servicechannel.state.adminWorkOrder(wo.id)!.CheckIns).toHaveLength(1);
    }, { mobile });
  });

  it('a 404 that is not ServiceChannel\'s (a gateway\'s page), and a single "not found" a second read does not confirm: the mobile work order stays and the sync goes on', async () => {
    const wo = t.createWorkOrder();
    const sc = t.stack.servicechannel;
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await dispatched(wo.id);

      // A gateway answers the next three reads with its own 404 page: retried, then the change lands.
      sc.faults.set({ gateway404: true, routes: ['getWorkOrder'], count: 3 });
      sc.state.patchWorkOrder(wo.id, { Nte: 900 }, { notify: false });
      await t.send(wo.id, 'WorkOrderNteChanged');
      await eventually(() => stored(wo.num)?.workOrder.PurchaseOrder?.Amount === 900, 60_000, 'NTE patched after the gateway 404s');

      // ServiceChannel itself answers "not found" once (the work order briefly out of view); the
      // confirming read finds it again: nothing is deleted, the sync runs on.
      sc.state.patchWorkOrder(wo.id, { Nte: 950 }, { notify: false });
      const record = sc.state.workOrders.get(wo.id)!;
      sc.faults.set({ hold: true, routes: ['getWorkOrder'], count: 2 });
      sc.state.removeWorkOrder(wo.id);
      await t.send(wo.id, 'WorkOrderNteChanged');
      await eventually(() => sc.faults.held === 1, 20_000, 'the read of the change held');
      sc.faults.release();
      await eventually(() => sc.faults.held === 1, 20_000, 'the confirming read held');
      sc.state.workOrders.set(wo.id, record);
      sc.faults.release();
      await eventually(async () => ((await t.state(wo.id)).lastError ?? '').includes(String(wo.id)) || null, 20_000, 'the failed read recorded');
      expect(t.stack.servicepower.state.callsTo('DELETE', wo.num)).toBe(0);
      expect(stored(wo.num)).toBeDefined();
      expect((await t.handle(wo.id).describe()).status.name).toBe('RUNNING');

      // The next change is applied as usual.
      sc.state.patchWorkOrder(wo.id, { Nte: 975 }, { notify: false });
      await t.send(wo.id, 'WorkOrderNteChanged');
      await eventually(() => stored(wo.num)?.workOrder.PurchaseOrder?.Amount === 975, 20_000, 'the next change patched');
      expect(t.stack.servicepower.state.callsTo('DELETE', wo.num)).toBe(0);
    }, { mobile });
  });

  it('check-in, check-out, status and notes that ServiceChannel applies and then loses the answer to: each lands once, and the sync ends', async () => {
    const wo = t.createWorkOrder();
    const sc = t.stack.servicechannel;
    const count = (text: string) => scNotes(wo.id).filter((n) => n.includes(text)).length;
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await dispatched(wo.id);
      sc.faults.set({ applyThenLoseAnswer: 'drop', routes: ['checkIn', 'addNote'], count: 2 });
      await t.technician(wo.id, wo.num, '7', { at: '2026-01-07T14:07:00Z' });
      await eventually(() => count('on site') === 1 && sc.state.adminWorkOrder(wo.id)!.CheckIns.length === 1 && sc.faults.state().config === null, 30_000, 'on site reported');
      sc.faults.set({ applyThenLoseAnswer: '504', routes: ['checkOut', 'updateStatus'], count: 2 });
      await t.technician(wo.id, wo.num, '4096', { note: 'Done', at: '2026-01-07T15:00:00Z' });
      const result = await t.handle(wo.id).result();
      expect(result.outcome).toMatch(/closed in the field/);
      expect(sc.faults.state().config).toBeNull(); // both lost answers happened
    }, { mobile });
    const order = sc.state.adminWorkOrder(wo.id)!;
    expect(order.CheckIns).toHaveLength(1);
    expect(order.CheckIns[0]).toMatchObject({ CheckInTime: expect.stringContaining('2026-01-07'), CheckOutTime: expect.stringContaining('2026-01-07') });
    expect(count('on site')).toBe(1);
    expect(count('Work completed')).toBe(1);
    expect(sc.state.workOrder(wo.id)!.Status).toMatchObject({ Primary: 'COMPLETED' });
  });

  it('a cancellation made in ServiceChannel while the work order was being dispatched wins: the dispatched status is not written over it, the mobile work order is withdrawn', async () => {
    const wo = t.createWorkOrder();
    t.stack.servicepower.faults.set({ hold: true, routes: ['putWorkOrder'], count: 1 });
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await eventually(() => t.stack.servicepower.faults.held === 1, 20_000, 'the PUT under way');
      t.stack.servicechannel.state.patchWorkOrder(wo.id, { Status: { Primary: 'CANCELLED' } }, { notify: false });
      t.stack.servicepower.faults.release();
      const result = await t.handle(wo.id).result();
      expect(result.outcome).toMatch(/cancelled/);
      expect(t.stack.servicechannel.state.workOrder(wo.id)!.Status.Primary).toBe('CANCELLED');
      expect(t.stack.servicepower.state.callsTo('DELETE', wo.num)).toBe(1);
      expect(stored(wo.num)).toBeUndefined();
    }, { mobile });
    await keepMobileHistory(t.stack, 'cancelled-during-dispatch', wo.id);
  });

  it('a change whose ServicePower write failed is not skipped by the reconciliation of the same version', async () => {
    const wo = t.createWorkOrder();
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await dispatched(wo.id);
      t.stack.servicechannel.state.patchWorkOrder(wo.id, { Nte: 900 }, { notify: false });
      t.stack.servicepower.faults.set({ errorRate: 1, errorStatus: 400, routes: ['patchWorkOrder'], count: 1 });
      await t.send(wo.id, 'WorkOrderNteChanged');
      await eventually(async () => ((await t.state(wo.id)).status === 'failed' ? true : null), 20_000, 'the refused PATCH');
      expect(stored(wo.num)!.workOrder.PurchaseOrder?.Amount).toBe(500);
      // The reconciliation brings the same ServiceChannel version again: it must be applied now.
      const updated = t.stack.servicechannel.state.workOrder(wo.id)!.UpdatedDate as string;
      await t.handle(wo.id).signal('serviceChannelEvent', { eventId: `reconcile:${updated}`, eventType: 'Reconciled', occurredAt: updated, source: 'reconcile' });
      await eventually(() => stored(wo.num)?.workOrder.PurchaseOrder?.Amount === 900, 20_000, 'the NTE patched by the reconciliation');
    }, { mobile });
  });

  it('a ServicePower conflict (409) is named in the status, not read silently as a close', async () => {
    const wo = t.createWorkOrder();
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await dispatched(wo.id);
      t.stack.servicechannel.state.patchWorkOrder(wo.id, { Nte: 950 }, { notify: false });
      t.stack.servicepower.faults.set({ errorRate: 1, errorStatus: 409, routes: ['patchWorkOrder'], count: 1 });
      await t.send(wo.id, 'WorkOrderNteChanged');
      const state = await eventually(async () => {
        const s = await t.state(wo.id);
        return s.lastError?.includes('409') && s.status === 'failed' ? s : null;
      }, 20_000, 'the conflict in the status');
      expect(state.lastError).toContain(wo.num);
      expect(state.lastError).toMatch(/conflict/i);
      expect(state.status).toBe('failed');
      expect(state.deleted).toBe(false);
    }, { mobile });
  });

  it('a recheck that meets another error keeps the refused writes for the next recheck', async () => {
    const wo = t.createWorkOrder({ SubscriberId: DEMO_SUBSCRIBER_IDS.harborPoint, LocationId: DEMO_LOCATION_IDS.harborPointWilmington, Trade: 'REFRIGERATION' });
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await dispatched(wo.id);
      await t.technician(wo.id, wo.num, '7');
      await eventually(async () => ((await t.state(wo.id)).status === 'waiting' ? true : null), 20_000, 'waiting on the permission');
      t.stack.servicechannel.state.setPermissions(DEMO_SUBSCRIBER_IDS.harborPoint, ['Incoming XML Active', 'Note Creation', 'Status Update', 'Set status to COMPLETED_PENDING', 'Set status to COMPLETED', 'IVR Check IN/OUT', 'NTE Update', 'ScheduleDate Update']);
      // ServiceChannel refuses the note for another reason during the first recheck.
      t.stack.servicechannel.faults.set({ errorRate: 1, errorStatus: 400, routes: ['addNote', 'listNotes'], count: 1 });
      await t.handle(wo.id).signal(recheckSignal, { reason: 'granted' });
      const kept = await eventually(async () => {
        const s = await t.state(wo.id);
        return s.lastError?.includes('kept for the next recheck') ? s : null;
      }, 20_000, 'the failed recheck');
      expect(kept.refused).toHaveLength(1);
      expect((await t.handle(wo.id).describe()).status.name).toBe('RUNNING');
      await t.handle(wo.id).signal(recheckSignal, { reason: 'again' });
      await eventually(async () => (await t.state(wo.id)).status === 'running', 20_000, 'running again');
      expect(scNotes(wo.id).filter((n) => n.includes('Technician on site'))).toHaveLength(1);
    }, { mobile });
  });

  it('a recheck asked for while the run rolls over is carried to the new run: the refused note is sent there', async () => {
    const wo = t.createWorkOrder({ SubscriberId: DEMO_SUBSCRIBER_IDS.harborPoint, LocationId: DEMO_LOCATION_IDS.harborPointWilmington, Trade: 'REFRIGERATION' });
    await t.stack.withWorker(async () => {
      // Three events per run: the created event, the check-in (its note refused) and the change below.
      await t.send(wo.id, 'WorkOrderCreated', undefined, { maxEventsPerRun: 3 });
      await dispatched(wo.id);
      await t.technician(wo.id, wo.num, '7');
      await eventually(async () => ((await t.state(wo.id)).status === 'waiting' ? true : null), 20_000, 'waiting on the permission');
      const first = (await t.handle(wo.id).describe()).runId;
      // The third event's read is held: the recheck arrives while the run is busy with its last event.
      t.stack.servicechannel.faults.set({ hold: true, routes: ['getWorkOrder'], count: 1 });
      await t.send(wo.id, 'WorkOrderNteChanged');
      await eventually(() => t.stack.servicechannel.faults.held === 1, 20_000, 'the read held');
      t.stack.servicechannel.state.setPermissions(DEMO_SUBSCRIBER_IDS.harborPoint, ['Incoming XML Active', 'Note Creation', 'Status Update', 'Set status to COMPLETED_PENDING', 'Set status to COMPLETED', 'IVR Check IN/OUT', 'NTE Update', 'ScheduleDate Update']);
      await t.handle(wo.id).signal(recheckSignal, { reason: 'granted' });
      await eventually(async () => {
        const history = await t.handle(wo.id).fetchHistory();
        return (history.events ?? []).some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === recheckSignal.name);
      }, 20_000, 'the recheck recorded in the first run');
      t.stack.servicechannel.faults.release();
      // The run ends on its third event and rolls over; the new run does the recheck it was asked for.
      await eventually(async () => ((await t.handle(wo.id).describe()).runId !== first ? true : null), 20_000, 'the rollover');
      await eventually(() => scNotes(wo.id).some((n) => n.includes('Technician on site')), 20_000, 'the refused note sent by the new run');
      const state = await t.state(wo.id);
      expect(state.refused).toEqual([]);
      expect(state.status).toBe('running');
      expect(scNotes(wo.id).filter((n) => n.includes('Technician on site'))).toHaveLength(1);
    }, { mobile });
  });

  it('`fieldbridge retry` of a failed field report sends what is missing and repeats nothing that landed', async () => {
    const wo = t.createWorkOrder();
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await dispatched(wo.id);
      await t.technician(wo.id, wo.num, '7', { at: '2026-01-07T14:07:00Z' });
      await eventually(() => (t.stack.servicechannel.state.adminWorkOrder(wo.id)?.CheckIns.length ?? 0) === 1, 20_000, 'check-in');
      // The close: the check-out lands, the status update is refused once (a permanent 400).
      t.stack.servicechannel.faults.set({ errorRate: 1, errorStatus: 400, routes: ['updateStatus'], count: 1 });
      await t.technician(wo.id, wo.num, '4096', { note: 'Replaced capacitor', at: '2026-01-07T15:42:00Z' });
      await eventually(async () => ((await t.state(wo.id)).status === 'failed' ? true : null), 20_000, 'the failed report');
      expect(t.stack.servicechannel.state.adminWorkOrder(wo.id)!.CheckIns[0]).toMatchObject({ CheckOutTime: '2026-01-07T15:42:00.000Z' });

      const outcome = await retrySync(t.stack.env.client, workOrderToMobileWorkflowId(wo.id), { taskQueue: t.stack.taskQueue });
      expect(outcome.action).toBe('signalled');
      const result = await t.handle(wo.id).result();
      expect(result.outcome).toMatch(/closed in the field/);
      const sc = t.stack.servicechannel.state.adminWorkOrder(wo.id)!;
      expect(sc.Status).toEqual({ Primary: 'COMPLETED', Extended: 'PENDING CONFIRMATION' });
      expect(sc.CheckIns).toHaveLength(1);
      expect(scNotes(wo.id).filter((n) => n.includes('Work completed'))).toHaveLength(1);
    }, { mobile });
    await keepMobileHistory(t.stack, 'operator-retry-after-failed-report', wo.id);
  });
});

