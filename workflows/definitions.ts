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
  /** The Specter customer id, once known: kept across passes and continue-as-new. */
  targetCode: string | null;
  /** Why the last pass failed, or why the sync is waiting. */
  lastError: string | null;
}

export const sourceChangedSignal = defineSignal<[SourceChange]>('sourceChanged');
export const syncStateQuery = defineQuery<SyncState>('syncState');

export interface CustomerUpsertInput {
  /** App4Sales customer id */
  customerId: string;
  /** Event ids already synced by earlier runs of this chain (carried over continue-as-new). */
  seenEventIds?: string[];
  /** The Specter customer id this chain already knows (carried over continue-as-new). */
  specterCustomerId?: string | null;
  /** Fingerprint of the App4Sales data last written to Specter (carried over continue-as-new). */
  sourceFingerprint?: string | null;
  /** Passes before continue-as-new (default 25); tests lower it. */
  maxPassesPerRun?: number;
  /** Attempts at the Specter write before giving up (default 12, about 10 minutes); tests lower it. */
  specterWriteMaxAttempts?: number;
}

export interface CustomerUpsertResult {
  customerId: string;
  specterCustomerId: string;
  created: boolean;
  /** False when Specter already held exactly this data (a redelivered event): nothing was sent. */
  written: boolean;
  passes: number;
  truncatedFields: string[];
  /** Fingerprint of the App4Sales data Specter now holds; a later run compares it before writing. */
  sourceFingerprint: string | null;
}

export const CUSTOMER_UPSERT_WORKFLOW = 'customerUpsert';

/** One workflow per App4Sales customer: concurrent changes to it queue behind the running sync. */
export function customerUpsertWorkflowId(customerId: string): string {
  return `customer-upsert:app4sales:${customerId}`;
}
