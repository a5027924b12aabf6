/**
 * FieldBridge's search attributes: every sync carries them so an operator can filter syncs in the
 * Temporal UI (e.g. `FieldBridgeSyncStatus = "failed" AND FieldBridgeSourceSystem = "app4sales"`)
 * and in `fieldbridge list`. Workflow-safe: no Node modules.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SourceSystemKey = defineSearchAttributeKey('FieldBridgeSourceSystem', SearchAttributeType.KEYWORD);
export const SourceIdKey = defineSearchAttributeKey('FieldBridgeSourceId', SearchAttributeType.KEYWORD);
export const TargetSystemKey = defineSearchAttributeKey('FieldBridgeTargetSystem', SearchAttributeType.KEYWORD);
export const SyncKindKey = defineSearchAttributeKey('FieldBridgeSyncKind', SearchAttributeType.KEYWORD);
export const SyncStatusKey = defineSearchAttributeKey('FieldBridgeSyncStatus', SearchAttributeType.KEYWORD);
export const TargetCodeKey = defineSearchAttributeKey('FieldBridgeTargetCode', SearchAttributeType.KEYWORD);
/**
 * What a waiting sync waits on, as `<system>:<record>:<id>` (e.g. `servicetrade:location:42`): ids
 * only. The receiver finds the syncs to wake when that record changes.
 */
export const WaitingOnKey = defineSearchAttributeKey('FieldBridgeWaitingOn', SearchAttributeType.KEYWORD_LIST);

/** A string value in a visibility query (`FieldBridgeSourceId = "..."`), quoted and escaped. */
export const visibilityString = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export const ALL_SEARCH_ATTRIBUTES = [SourceSystemKey, SourceIdKey, TargetSystemKey, SyncKindKey, SyncStatusKey, TargetCodeKey, WaitingOnKey] as const;

/**
 * Set by the workflow: running: steps in progress; waiting: parked until something outside changes
 * (an operator's fix, a refused write-back, a missing mapping); completed; failed: stopped on an
 * error retries cannot fix; cancelled: an operator cancelled it.
 * Derived from Temporal's own status (a workflow cannot record them itself): terminated, timed-out.
 */
export const SYNC_STATUSES = ['running', 'waiting', 'completed', 'failed', 'cancelled', 'terminated', 'timed-out'] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];

export const SYNC_KINDS = ['customer-upsert', 'customer-bulk-sync', 'job-to-work-order', 'work-order-to-mobile', 'work-order-reconcile'] as const;
export type SyncKind = (typeof SYNC_KINDS)[number];
