/**
 * Issue 15, point 4 (a "job updated" webhook during a running pass): on the real dev server, with
 * the receiver built as in production. The job changes in ServiceTrade while its sync writes the
 * lines; ServiceTrade's webhook reaches the receiver, which signals the running sync: the change is
 * coalesced into one more pass, and Spectrum ends with the job as it is now.
 */
import type { FastifyInstance } from 'fastify';
import { buildReceiver } from '../../client/receiver';
import { loadConfig } from '../../common/config';
import { linesOf, useJobSyncStack } from '../helpers/job-sync';
import { eventually, testLogger } from '../helpers/stack';

jest.setTimeout(120_000);

const t = useJobSyncStack();
const TOKEN = 'servicetrade-hook-token-during-pass-0123456789';
let receiver: FastifyInstance;
let hookBase: string;

beforeAll(async () => {
  receiver = buildReceiver({
    client: t.stack.env.client,
    taskQueue: t.stack.taskQueue,
    logger: testLogger,
    app4salesWebhookSecret: 'unused-app4sales-secret-0123456789',
    servicetradeWebhook: { token: TOKEN, autoSyncNewJobs: false },
    ...loadConfig(['receiver'], {}).receiver,
  });
  hookBase = `${await receiver.listen({ host: '127.0.0.1', port: 0 })}/webhooks/servicetrade`;
});
afterAll(async () => {
  t.stack.servicetrade.webhooks.target = null;
  await receiver?.close();
});

test('the job changes while its sync writes the lines: the job-updated webhook adds one more pass, Spectrum gets the new item', async () => {
  const job = t.createJob();
  const { servicetrade, spectrum } = t.stack;
  spectrum.faults.set({ hold: true, routes: ['AddWOMaterialCost'], count: 1 });

  const result = await t.stack.withWorker(async () => {
    const handle = await t.sync(job.id);
    await eventually(() => spectrum.faults.held === 1, 30_000, 'the first line held');
    // The pass is running: ServiceTrade announces the new item to the receiver.
    servicetrade.webhooks.target = { hookUrl: `${hookBase}/${TOKEN}` };
    servicetrade.state.changeJobItems(job.id, { add: [{ libItemId: 502, quantity: 5, cost: 9.25, price: 22.5, uom: 'ea' }] });
    await servicetrade.webhooks.idle();
    servicetrade.webhooks.target = null;
    spectrum.faults.release();
    return handle.result();
  });

  const delivery = servicetrade.state.webhookDeliveries.find((d) => d.message.data.some((e) => e.entity.type === 'job' && e.entity.id === job.id));
  expect(delivery).toMatchObject({ status: 'delivered', responseStatus: 202 });
  expect(result.passes).toBe(2);
  expect(linesOf(t.workOrder(job.number))).toContain('BELT-A42 x5 V-belt A42');
  expect(t.workOrder(job.number)?.materials).toHaveLength(6);
});
