/**
 * ServiceChannel work order -> ServicePower mobile work order, and the field's status back, on the
 * dev server with both simulators (issue 8).
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DEMO_LOCATION_IDS, DEMO_SUBSCRIBER_IDS } from '../../connectors/servicechannel/demo-data';
import { recheckSignal } from '../../workflows/definitions';
import { workOrderReconcile } from '../../workflows/work-order-reconcile';
import { activityInputs, keepMobileHistory, keepReconcileHistory, useMobileSyncStack } from '../helpers/mobile-sync';
import { eventually } from '../helpers/stack';

jest.setTimeout(120_000);

const t = useMobileSyncStack();
const mobile = { mobileSync: { rereadIntervalMs: 60 * 60_000 } };

function scNotes(id: number): string[] {
  return (t.stack.servicechannel.state.adminWorkOrder(id)?.Notes ?? []).map((n) => (n as { NoteData?: string; Note?: string }).NoteData ?? (n as { Note?: string }).Note ?? JSON.stringify(n));
}

function stored(num: string) {
  try {
    return t.stack.servicepower.state.stored(num);
  } catch {
    return undefined;
  }
}

describe('workOrderToMobile', () => {
  it('created -> dispatched in ServicePower (DispatchStatus 3), ServiceChannel status and a note with the number; NTE change -> one PATCH of the NTE alone; cancellation -> deleted', async () => {
    const wo = t.createWorkOrder();
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await eventually(() => t.stack.servicechannel.state.workOrder(wo.id)?.Status.Extended === 'DISPATCHED', 20_000, 'dispatched status');
      const sp = stored(wo.num)!.workOrder;
      expect(sp).toMatchObject({ Account: { AccountNum: 'NW-1000' }, UserName: 'tech.alvarez', DispatchStatus: 3, PurchaseOrder: { Amount: 500 }, OrderSubType: 'HVAC' });
      expect(t.stack.servicechannel.state.workOrder(wo.id)!.Status).toEqual({ Primary: 'IN PROGRESS', Extended: 'DISPATCHED' });
      expect(scNotes(wo.id).join('\n')).toContain(wo.num);
      expect(t.stack.servicepower.state.callsTo('PUT', wo.num)).toBe(1);

      t.stack.servicechannel.state.patchWorkOrder(wo.id, { Nte: 900 }, { notify: false });
      await t.send(wo.id, 'WorkOrderNteChanged');
      await eventually(() => stored(wo.num)?.workOrder.PurchaseOrder?.Amount === 900, 20_000, 'NTE patched');
      expect(t.stack.servicepower.state.callsTo('PATCH', wo.num)).toBe(1);
      expect(await activityInputs(t.stack, wo.id, 'patchMobileWorkOrder')).toEqual([{ num: wo.num, patch: { PurchaseOrder: { Amount: 900 } } }]);

      t.stack.servicechannel.state.patchWorkOrder(wo.id, { Status: { Primary: 'CANCELLED' } }, { notify: false });
      await t.send(wo.id, 'WorkOrderStatusChanged');
      const result = await t.handle(wo.id).result();
      expect(result.outcome).toMatch(/cancelled/);
      expect(t.stack.servicepower.state.callsTo('DELETE', wo.num)).toBe(1);
      expect(stored(wo.num)).toBeUndefined();
    }, { mobile });
    await keepMobileHistory(t.stack, 'dispatch-nte-cancel', wo.id);
  });

  it('technician on site, then complete: check-in and check-out at the visit\'s real times (ServicePower\'s ActualStartDate / ActualEndDate), status and notes in ServiceChannel; the workflow ends', async () => {
    const wo = t.createWorkOrder();
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await eventually(() => t.stack.servicechannel.state.workOrder(wo.id)?.Status.Extended === 'DISPATCHED', 20_000, 'dispatched');
      await t.technician(wo.id, wo.num, '7', { at: '2026-01-07T14:07:00Z' });
      await eventually(() => (t.stack.servicechannel.state.adminWorkOrder(wo.id)?.CheckIns.length ?? 0) === 1, 20_000, 'check-in');
      await t.technician(wo.id, wo.num, '4096', { note: 'Replaced capacitor', at: '2026-01-07T15:42:00Z' });
      const result = await t.handle(wo.id).result();
      expect(result.outcome).toMatch(/closed in the field/);
      const sc = t.stack.servicechannel.state.adminWorkOrder(wo.id)!;
      expect(sc.Status).toEqual({ Primary: 'COMPLETED', Extended: 'PENDING CONFIRMATION' });
      expect(sc.CheckIns).toHaveLength(1);
      expect(sc.CheckIns[0]).toMatchObject({ CheckInTime: '2026-01-07T14:07:00.000Z', CheckOutTime: '2026-01-07T15:42:00.000Z', TimeGiven: true });
      const notes = scNotes(wo.id).join('\n');
      expect(notes).toContain(`Technician on site (mobile work order ${wo.num})`);
      expect(notes).toContain('Replaced capacitor');
    }, { mobile });
    await keepMobileHistory(t.stack, 'field-on-site-complete', wo.id);
  });

  it('on site at a site without coordinates (Northwind Durham): no check-in, the sync fails naming the work order and Location.Address.Lat/Lon', async () => {
    const wo = t.createWorkOrder({ LocationId: DEMO_LOCATION_IDS.northwindDurham });
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await eventually(() => t.stack.servicechannel.state.workOrder(wo.id)?.Status.Extended === 'DISPATCHED', 20_000, 'dispatched');
      await t.technician(wo.id, wo.num, '7');
      const state = await eventually(async () => {
        const s = await t.state(wo.id);
        return s.status === 'failed' ? s : null;
      }, 20_000, 'the failed check-in');
      expect(state.lastError).toContain(`ServiceChannel work order ${wo.id} (ServicePower work order ${wo.num})`);
      expect(state.lastError).toContain('Location.Address.Lat/Lon');
      expect(t.stack.servicechannel.state.adminWorkOrder(wo.id)!.CheckIns).toEqual([]);
    }, { mobile });
  });

  it('a lost notification is caught by the re-read', async () => {
    const wo = t.createWorkOrder();
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await eventually(() => t.stack.servicechannel.state.workOrder(wo.id)?.Status.Extended === 'DISPATCHED', 20_000, 'dispatched');
      await t.technician(wo.id, wo.num, '4097', { note: 'Part on order', lost: true });
      const result = await t.handle(wo.id).result();
      expect(result.outcome).toMatch(/4097/);
      expect(t.stack.servicechannel.state.workOrder(wo.id)!.Status).toEqual({ Primary: 'IN PROGRESS', Extended: 'INCOMPLETE' });
    }, { mobile: { mobileSync: { rereadIntervalMs: 1000 } } });
    await keepMobileHistory(t.stack, 'lost-notification-reread', wo.id);
  });

  it('events delivered shuffled and duplicated end in the right state, each applied once', async () => {
    const wo = t.createWorkOrder();
    await t.stack.withWorker(async () => {
      t.stack.servicechannel.state.patchWorkOrder(wo.id, { Nte: 750, ScheduledDate: '2026-01-09T10:00:00.000Z' }, { notify: false });
      const ids = ['created', 'nte', 'schedule', 'note'].map((k) => `${k}:${wo.id}`);
      const order = [ids[2]!, ids[0]!, ids[2]!, ids[1]!, ids[3]!, ids[0]!, ids[1]!];
      for (const id of order) await t.send(wo.id, id.split(':')[0]!, id);
      await eventually(async () => (await t.state(wo.id)).eventsApplied === 4 && (await t.state(wo.id)).queued === 0, 20_000, 'four events applied');
      const sp = stored(wo.num)!.workOrder;
      expect(sp).toMatchObject({ PurchaseOrder: { Amount: 750 }, PlannedStartDate: '2026-01-09T10:00:00.000Z', DispatchStatus: 3 });
      expect(t.stack.servicepower.state.callsTo('PUT', wo.num)).toBe(1);
      expect(t.stack.servicepower.state.callsTo('PATCH', wo.num)).toBe(0);
      expect(t.stack.servicechannel.state.workOrder(wo.id)!.Status.Extended).toBe('DISPATCHED');
    }, { mobile });
    await keepMobileHistory(t.stack, 'shuffled-duplicated', wo.id);
  });

  it('a permission refusal when ServicePower holds the work order is recorded in the status, not a silent mismatch', async () => {
    // Harbor Point grants everything but Note Creation: the on-site note is refused.
    const wo = t.createWorkOrder({ SubscriberId: DEMO_SUBSCRIBER_IDS.harborPoint, LocationId: DEMO_LOCATION_IDS.harborPointWilmington, Trade: 'REFRIGERATION' });
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await eventually(() => t.stack.servicechannel.state.workOrder(wo.id)?.Status.Extended === 'DISPATCHED', 20_000, 'dispatched');
      await t.technician(wo.id, wo.num, '7');
      const state = await eventually(async () => {
        const s = await t.state(wo.id);
        return s.status === 'waiting' ? s : null;
      }, 20_000, 'waiting on the permission');
      expect(state.lastError).toContain('Note Creation');
      expect(state.lastError).toContain(String(DEMO_SUBSCRIBER_IDS.harborPoint));
      expect(state.waitingOn).toEqual([`servicechannel:subscriber:${DEMO_SUBSCRIBER_IDS.harborPoint}`]);
      const described = await t.handle(wo.id).describe();
      expect(described.searchAttributes.FieldBridgeSyncStatus).toEqual(['waiting']);
      // Granted: a recheck sends the refused note.
      t.stack.servicechannel.state.setPermissions(DEMO_SUBSCRIBER_IDS.harborPoint, ['Incoming XML Active', 'Note Creation', 'Status Update', 'Set status to COMPLETED_PENDING', 'Set status to COMPLETED', 'IVR Check IN/OUT', 'NTE Update', 'ScheduleDate Update']);
      await t.handle(wo.id).signal(recheckSignal, { reason: 'granted' });
      await eventually(async () => (await t.state(wo.id)).status === 'running', 20_000, 'running again');
      expect(scNotes(wo.id).join('\n')).toContain('Technician on site');
    }, { mobile });
    await keepMobileHistory(t.stack, 'permission-refused', wo.id);
  });

  it('a dropped webhook is caught by the reconciliation (one page of the changed-since list per activity)', async () => {
    const wo = t.createWorkOrder();
    await t.stack.withWorker(async () => {
      // No event at all reached FieldBridge: the reconciliation lists the work order and signals it.
      const result = await t.stack.env.client.workflow.execute(workOrderReconcile, {
        workflowId: `work-order-reconcile:test:${wo.id}`,
        taskQueue: t.stack.taskQueue,
        args: [{ lookbackMs: 60 * 60_000, pageSize: 2 }],
      });
      expect(result.signalled).toBeGreaterThanOrEqual(1);
      // The demo work orders and this one: several pages, ONE ServiceChannel request (activity) each.
      expect(result.listed).toBeGreaterThanOrEqual(4);
      const reconcileHistory = await t.stack.env.client.workflow.getHandle(`work-order-reconcile:test:${wo.id}`).fetchHistory();
      const pages = (reconcileHistory.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'listChangedServiceChannelWorkOrdersPage');
      expect(pages.length).toBe(Math.floor(result.listed / 2) + 1);
      await keepReconcileHistory(t.stack, 'first-run', `work-order-reconcile:test:${wo.id}`);
      await eventually(() => stored(wo.num)?.workOrder.DispatchStatus === 3, 20_000, 'dispatched by reconciliation');
      // A second run from the first one's watermark signals the same version again: ignored by id.
      await t.stack.env.client.workflow.execute(workOrderReconcile, { workflowId: `work-order-reconcile:test:${wo.id}:2`, taskQueue: t.stack.taskQueue, args: [{}] });
      await eventually(async () => {
        const s = await t.state(wo.id);
        return s.queued === 0 && s.step === 'idle';
      }, 20_000, 'queue drained');
      expect(t.stack.servicepower.state.callsTo('PUT', wo.num)).toBe(1);
    }, { mobile });
    await keepMobileHistory(t.stack, 'dropped-webhook-reconciled', wo.id);
  });

  it('continue-as-new keeps the applied event ids', async () => {
    const wo = t.createWorkOrder();
    await t.stack.withWorker(async () => {
      const input = { maxEventsPerRun: 2 };
      const first = await t.send(wo.id, 'WorkOrderCreated', `created:${wo.id}`, input);
      const firstRun = (await first.describe()).runId;
      await t.send(wo.id, 'WorkOrderNoteAdded', `note:${wo.id}`, input);
      await t.send(wo.id, 'WorkOrderNoteAdded', `note2:${wo.id}`, input);
      await eventually(async () => (await t.handle(wo.id).describe()).runId !== firstRun, 20_000, 'continued as new');
      await eventually(async () => (await t.state(wo.id)).eventsApplied === 3, 20_000, 'three applied');
      // Redelivered ids from the first run: ignored by the new run.
      await t.send(wo.id, 'WorkOrderCreated', `created:${wo.id}`, input);
      await t.send(wo.id, 'WorkOrderNoteAdded', `note:${wo.id}`, input);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await t.state(wo.id)).eventsApplied).toBe(3);
      expect(t.stack.servicepower.state.callsTo('PUT', wo.num)).toBe(1);
    }, { mobile });
    await keepMobileHistory(t.stack, 'continue-as-new', wo.id);
  });

  it("a client's notes reach the mobile work order's Notes once each, never our own notes, across continue-as-new", async () => {
    const wo = t.createWorkOrder();
    const spNotes = () => ((stored(wo.num)?.workOrder.Notes ?? []) as Array<{ ID?: string; Text?: string; Author?: string }>);
    await t.stack.withWorker(async () => {
      const input = { maxEventsPerRun: 2 };
      const first = await t.send(wo.id, 'WorkOrderCreated', `created:${wo.id}`, input);
      const firstRun = (await first.describe()).runId;
      await eventually(() => t.stack.servicechannel.state.workOrder(wo.id)?.Status.Extended === 'DISPATCHED', 20_000, 'dispatched');
      const gate = t.stack.servicechannel.state.addSubscriberNote(wo.id, { Note: 'Gate code 4412', CreatedBy: 'Dana Whitfield' }, { notify: false });
      await t.send(wo.id, 'WorkOrderNoteAdded', `note:${wo.id}:1`, input);
      await eventually(() => spNotes().length === 1, 20_000, 'first note in ServicePower');
      // Two events applied: the next run carries the ids of the notes sent.
      await eventually(async () => (await t.handle(wo.id).describe()).runId !== firstRun, 20_000, 'continued as new');
      t.stack.servicechannel.state.addSubscriberNote(wo.id, { Note: 'Ask for Sam at the front desk', CreatedBy: 'Dana Whitfield' }, { notify: false });
      await t.send(wo.id, 'WorkOrderNoteAdded', `note:${wo.id}:2`, input);
      await eventually(() => spNotes().length === 2, 20_000, 'second note in ServicePower');
      // Another note event with nothing new: nothing sent.
      await t.send(wo.id, 'WorkOrderNoteAdded', `note:${wo.id}:3`, input);
      await eventually(async () => {
        const s = await t.state(wo.id);
        return s.eventsApplied === 4 && s.queued === 0 && s.step === 'idle';
      }, 20_000, 'four events applied');
      expect(spNotes()).toEqual([
        expect.objectContaining({ ID: `SC-NOTE-${gate.Id}`, Text: 'Gate code 4412', Author: 'Dana Whitfield' }),
        expect.objectContaining({ Text: 'Ask for Sam at the front desk', Author: 'Dana Whitfield' }),
      ]);
      // Our own dispatch note (written through the provider API) is not echoed back.
      expect(scNotes(wo.id).some((n) => n.includes(wo.num))).toBe(true);
      expect(spNotes().some((n) => n.Text?.includes('Dispatched'))).toBe(false);
      expect(t.stack.servicepower.state.callsTo('PATCH', wo.num)).toBe(2);
      expect(t.stack.servicepower.state.callsTo('PUT', wo.num)).toBe(1);
    }, { mobile });
    await keepMobileHistory(t.stack, 'client-notes', wo.id);
  });

  it('ServiceChannel answers 404 for the work order (deleted, or no longer visible): the mobile work order is deleted and the workflow fails naming it', async () => {
    const wo = t.createWorkOrder();
    await t.stack.withWorker(async () => {
      await t.send(wo.id, 'WorkOrderCreated');
      await eventually(() => t.stack.servicechannel.state.workOrder(wo.id)?.Status.Extended === 'DISPATCHED', 20_000, 'dispatched');
      expect(stored(wo.num)).toBeDefined();
      t.stack.servicechannel.state.removeWorkOrder(wo.id);
      await t.send(wo.id, 'WorkOrderStatusChanged');
      const err = await t.handle(wo.id).result().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe('SourceRecordNotFound');
      expect(cause!.message).toContain(`ServiceChannel work order ${wo.id}`);
      expect(cause!.message).toContain(`mobile work order ${wo.num} deleted`);
      expect(t.stack.servicepower.state.callsTo('DELETE', wo.num)).toBe(1);
      expect(stored(wo.num)).toBeUndefined();
      const described = await t.handle(wo.id).describe();
      expect(described.status.name).toBe('FAILED');
      expect(described.searchAttributes.FieldBridgeSyncStatus).toEqual(['failed']);
    }, { mobile });
    await keepMobileHistory(t.stack, 'servicechannel-not-found', wo.id);
  });

  it('an event for a work order ServiceChannel does not show this provider: the workflow fails naming it, nothing sent to ServicePower', async () => {
    const missing = t.createWorkOrder();
    t.stack.servicechannel.state.removeWorkOrder(missing.id);
    await t.stack.withWorker(async () => {
      await t.send(missing.id, 'WorkOrderCreated');
      const err = await t.handle(missing.id).result().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('SourceRecordNotFound');
      expect(cause.message).toContain(`ServiceChannel work order ${missing.id}`);
      expect(t.stack.servicepower.state.callsTo('PUT', missing.num)).toBe(0);
      expect(t.stack.servicepower.state.callsTo('DELETE', missing.num)).toBe(0);
    }, { mobile });
  });

  it('a burst stays under the configured ServiceChannel rate (Temporal task-queue rate limit)', async () => {
    const orders = Array.from({ length: 8 }, () => t.createWorkOrder({ Trade: 'PLUMBING', ScheduledDate: null }));
    await t.stack.withWorker(async () => {
      await Promise.all(orders.map((wo) => t.send(wo.id, 'WorkOrderCreated').catch((err) => (err instanceof WorkflowExecutionAlreadyStartedError ? null : Promise.reject(err)))));
      await eventually(() => orders.every((wo) => t.stack.servicechannel.state.workOrder(wo.id)?.Status.Extended === 'DISPATCHED'), 60_000, 'all dispatched');
      // 120 per minute = 2 per second: no 5-second window holds more than 10 (+ the limiter's first burst).
      const peak = t.stack.servicechannel.state.peakRequestsPerMinute({ windowMs: 5000 });
      expect(peak).toBeLessThanOrEqual(13);
      expect(t.stack.servicechannel.state.throttledRequests).toBe(0);
      expect(t.stack.servicepower.state.callsTo('PUT')).toBeGreaterThanOrEqual(8);
    }, { mobile: { ...mobile, requestsPerMinute: 120 } });
  });
});
