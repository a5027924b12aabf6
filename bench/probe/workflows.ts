/**
 * Bare workflows for the dispatch probe (bench/probe/dispatch.ts): three no-op activities, three
 * no-op local activities, and nothing at all. No FieldBridge code: the engine's own cost.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

interface ProbeActivities {
  noop(i: number): Promise<number>;
}

const { noop } = proxyActivities<ProbeActivities>({ startToCloseTimeout: '10s' });
const local = proxyLocalActivities<ProbeActivities>({ startToCloseTimeout: '10s' });

export async function probeActivities(): Promise<number> {
  let sum = 0;
  for (let i = 0; i < 3; i++) sum += await noop(i);
  return sum;
}

export async function probeLocalActivities(): Promise<number> {
  let sum = 0;
  for (let i = 0; i < 3; i++) sum += await local.noop(i);
  return sum;
}

export async function probeEmpty(): Promise<number> {
  return 0;
}
