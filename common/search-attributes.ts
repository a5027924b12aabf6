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

export const ALL_SEARCH_ATTRIBUTES = [SourceSystemKey, SourceIdKey, TargetSystemKey, SyncKindKey, SyncStatusKey, TargetCodeKey] as const;

/**
 * running: steps in progress; waiting: parked until something outside changes (an operator's fix,
 * a missing mapping); completed; failed: stopped on an error retries cannot fix.
 */
export const SYNC_STATUSES = ['running', 'waiting', 'completed', 'failed'] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];

export const SYNC_KINDS = ['customer-upsert'] as const;
export type SyncKind = (typeof SYNC_KINDS)[number];
