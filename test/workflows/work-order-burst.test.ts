/**
 * A small version of the benchmark's work order burst (bench/work-orders.ts, bench/mobile-flow.ts):
 * 10 ServiceChannel work orders created and dispatched, then 100 distinct events over them in all
 * (the 10 created, NTE, scheduled date, status), each delivered 3 times, shuffled, fired at once as
 * the receiver does; both workers as production builds them, with a ServiceChannel ceiling of 240
 * requests per minute (a write may take 3 requests, so 80 activities a minute: ~110 activities take
 * at least ~80 s). Afterwards ServicePower and ServiceChannel
 * hold exactly the last values, each work order was PUT once, no event was applied twice, and the
 * simulator never saw more requests per minute than its limit, none throttled, one login.
 */
import { performance } from 'node:perf_hooks';
import { burstLatencies, describeCheck, fireBurst, mobileNumberOf, MobileTargetLog, planBurst, verifyBurst, watchServicePower } from '../../bench/work-orders';
import { DISPATCHED_NOTE_KEY, markKeyOf } from '../../mappings/work-order-to-mobile';
import { eventually, eventuallyWhileProgressing } from '../helpers/stack';
import { useMobileSyncStack } from '../helpers/mobile-sync';

const CEILING_PER_MINUTE = 240;
const WORK_ORDERS = 10;
const EVENTS = 100;

describe('work order burst: shuffled and duplicated events within the ServiceChannel rate limit', () => {
  const t = useMobileSyncStack();

  it('100 events over 10 work orders end in exactly the right state, each work order PUT once, never throttled', async () => {
    const { stack } = t;
    const sc = stack.servicechannel.state;
    const plan = planBurst({ firstId: 60_000_000 + Math.floor(Math.random() * 1000) * 1000, workOrders: WORK_ORDERS, events: EVENTS, copies: 3, seed: 8, tag: 'burst-test' });
    const target = new MobileTargetLog();
    watchServicePower(stack.servicepower, target);
    const reads = () => sc.requests.filter((r) => r.route === 'getWorkOrder').length;
    const statusWrites = () => sc.requests.filter((r) => r.route === 'updateStatus').length;
    const dispatchedNotes = () =>
      plan.workOrderIds.filter((id) => (sc.adminWorkOrder(id)?.Notes ?? []).some((n) => markKeyOf((n as { NoteData?: string }).NoteData) === DISPATCHED_NOTE_KEY)).length;

    await stack.withWorker(
      async () => {
        const began = performance.now();
        const fired = await fireBurst(stack.env.client, stack.taskQueue, sc, plan, 50, async () => {
          await eventually(() => target.heldCount(plan.workOrderIds) === WORK_ORDERS, 30_000, 'every work order in ServicePower');
        });
        expect(fired.errors).toEqual([]);
        expect(fired.rpcMs).toHaveLength(plan.deliveries.length); // every delivery sent, none skipped between the waves
        // Drained: one ServiceChannel read per distinct event, and each work order's dispatched status
        // reported (its write reads first: one more read each), then every workflow idle.
        // Paced by the rate limit (4 requests a second here), the drain takes as long as the machine needs;
        // it fails if ServiceChannel stops receiving requests for 20 s before every event is read.
        await eventuallyWhileProgressing(() => reads() >= EVENTS + WORK_ORDERS && dispatchedNotes() >= WORK_ORDERS, () => `${sc.requests.length} requests, ${reads()} reads, ${dispatchedNotes()} dispatched notes`, 20_000, 'every event read from ServiceChannel');
        await eventually(
          async () => {
            for (const id of plan.workOrderIds) {
              const state = await t.state(id);
              const expected = plan.events.filter((e) => e.workOrderId === id).length;
              if (state.queued > 0 || state.eventsApplied !== expected) return false;
            }
            return true;
          },
          10_000,
          'every workflow idle with its events applied',
        );
        const check = verifyBurst(
          plan,
          sc,
          target,
          (num) => {
            const wo = stack.servicepower.state.workOrders.get(num)?.workOrder as { PurchaseOrder?: { Amount?: number }; PlannedStartDate?: string; DispatchStatus?: number } | undefined;
            return wo ? { amount: wo.PurchaseOrder?.Amount ?? null, planned: wo.PlannedStartDate ? Date.parse(wo.PlannedStartDate) : null, dispatchStatus: wo.DispatchStatus ?? null } : undefined;
          },
          { reads: reads(), statusWrites: statusWrites(), real: true },
        );
        const latencies = burstLatencies(plan, fired, target);
        const peak = sc.peakRequestsPerMinute();
        // Figures for whoever reads the log; not asserted.
        process.stderr.write(
          `work order burst: ${plan.deliveries.length} deliveries of ${EVENTS} events in ${((performance.now() - began) / 1000).toFixed(1)} s; ` +
            `peak ${peak}/min (ceiling ${CEILING_PER_MINUTE}, limit ${sc.perClientPerMinute}), peak 10 s window ${sc.peakRequestsPerMinute({ windowMs: 10_000 })}; ` +
            `${latencies.neverHeld} changes never held; ${describeCheck(check)}\n`,
        );

        expect(check).toMatchObject({ workOrders: WORK_ORDERS, putOnce: WORK_ORDERS, dispatched: WORK_ORDERS, nteRight: WORK_ORDERS, scheduleRight: WORK_ORDERS, deletes: 0, workOrdersOverPatched: 0 });
        expect(check.patches).toBeGreaterThan(0); // the changes reached ServicePower as PATCHes, at most one per event
        expect(check.serviceChannelReads).toBe(EVENTS + WORK_ORDERS);
        expect(check.dispatchedNoteOnce).toBe(WORK_ORDERS);
        // A PUT only where ServiceChannel did not already hold the dispatched status.
        expect(check.serviceChannelStatusWrites).toBeLessThanOrEqual(WORK_ORDERS);
        expect(check.ok).toBe(true);
        for (const id of plan.workOrderIds) {
          expect(stack.servicepower.state.callsTo('PUT', mobileNumberOf(id))).toBe(1);
          expect(sc.workOrder(id)!.Status.Primary).not.toBe('CANCELLED');
        }
        expect(latencies.neverHeld).toBe(0);
        // The rate limit: never above the simulator's limit, nothing throttled, one login for the worker process.
        expect(peak).toBeLessThanOrEqual(sc.perClientPerMinute);
        expect(sc.peakRequestsPerMinute({ acceptedOnly: true })).toBeLessThanOrEqual(sc.perClientPerMinute);
        expect(sc.throttledRequests).toBe(0);
        expect(sc.logins).toBe(1);
      },
      { mobile: { requestsPerMinute: CEILING_PER_MINUTE } },
    );
  }, 240_000);
});
