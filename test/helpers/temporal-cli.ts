/**
 * Test-side access to the Temporal CLI that jest's global setup (test/global-setup.ts) provisioned.
 *
 *   const env = await TestWorkflowEnvironment.createLocal({ server: devServerOptions([MY_SA_KEY]) });
 */
import type { DevServerConfig, LocalTestWorkflowEnvironmentOptions } from '@temporalio/testing';
import { devServerDynamicConfigArgs } from '../../scripts/dev-server-settings';

export const TEMPORAL_CLI_ENV = 'FIELDBRIDGE_TEMPORAL_CLI';

/** `server` option of TestWorkflowEnvironment.createLocal(). */
export type DevServerOptions = NonNullable<LocalTestWorkflowEnvironmentOptions['server']>;
/** Typed search attribute keys (from `defineSearchAttributeKey(name, SearchAttributeType.X)`). */
export type DevServerSearchAttributes = NonNullable<DevServerConfig['searchAttributes']>;

/** Path of the Temporal CLI binary chosen by the global setup. */
export function temporalCliPath(): string {
  const p = process.env[TEMPORAL_CLI_ENV];
  if (!p) {
    throw new Error(
      `${TEMPORAL_CLI_ENV} is not set: the Temporal CLI is provisioned by jest's globalSetup (test/global-setup.ts). ` +
        'Run the tests through `npm test` / jest with jest.config.js, or set ' +
        `${TEMPORAL_CLI_ENV}=$(npx tsx scripts/temporal-cli.ts).`,
    );
  }
  return p;
}

/**
 * Dev server options that run the provisioned CLI instead of letting the SDK download one, with the
 * server settings `npm start` and the bench use (scripts/dev-server-settings.ts: eager activity
 * dispatch). `overrides` are merged last (e.g. `{ namespace: 'x' }`); `overrides.extraArgs` are added
 * after those settings.
 */
export function devServerOptions(
  searchAttributes?: DevServerSearchAttributes,
  overrides: Omit<DevServerOptions, 'executable' | 'searchAttributes'> = {},
): DevServerOptions {
  return {
    executable: { type: 'existing-path', path: temporalCliPath() },
    ...(searchAttributes && searchAttributes.length > 0 ? { searchAttributes } : {}),
    ...overrides,
    extraArgs: [...devServerDynamicConfigArgs(), ...(overrides.extraArgs ?? [])],
  };
}
