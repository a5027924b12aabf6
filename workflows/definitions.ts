/**
 * Signals, queries and shared types of the FieldBridge workflows. Workflow-safe; imported by
 * workflows, the webhook receiver, the CLI and tests alike.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { SyncStatus } from '../common/search-attributes';

/** A change to the source record, as delivered by a webhook or requested by an operator. */
export interface SourceChange {
  /** The source system's event id (webhook) or a generated one (CLI); duplicates are ignored. */
  eventId: string;
  changedFields?: string[];
}

export type SyncStep = 'starting' | 'loading' | 'mapping' | 'upserting' | 'recording' | 'done';

export interface SyncState {
  step: SyncStep;
  status: SyncStatus;
  /** How many times the source record has been synced in this run (a burst of changes adds passes). */
  passes: number;
  /** Changes received while a pass was running, to be synced by the next pass. */
  pendingChanges: number;
  targetCode: string | null;
  lastError: string | null;
}

export const sourceChangedSignal = defineSignal<[SourceChange]>('sourceChanged');
export const syncStateQuery = defineQuery<SyncState>('syncState');

export interface CustomerUpsertInput {
  /** App4Sales customer id */
  customerId: string;
  /** Event ids already synced by earlier runs of this chain (carried over continue-as-new). */
  seenEventIds?: string[];
}

export interface CustomerUpsertResult {
  customerId: string;
  specterCustomerId: string;
  created: boolean;
  passes: number;
  truncatedFields: string[];
}

export const CUSTOMER_UPSERT_WORKFLOW = 'customerUpsert';

/** One workflow per App4Sales customer: concurrent changes to it queue behind the running sync. */
export function customerUpsertWorkflowId(customerId: string): string {
  return `customer-upsert:app4sales:${customerId}`;
}
