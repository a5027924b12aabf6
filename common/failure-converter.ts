/**
 * The failure converter used when payload encryption is on (common/temporal-connection.ts
 * fieldBridgeDataConverter): failure messages and stack traces, which can quote customer data, go
 * into the failure's encoded attributes, a payload the codec encrypts. The history then shows only
 * "Encoded failure"; the SDK's clients, the CLI and the UI through the codec server read the real
 * message. Loaded by path (DataConverter.failureConverterPath) in the client, the worker and the
 * workflow bundle, so it imports nothing but @temporalio/common.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
