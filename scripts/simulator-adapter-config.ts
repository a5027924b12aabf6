import type { Config } from '../common/config';
import type { App4SalesSimulator } from '../connectors/app4sales/simulator';
import type { SpecterCredentials, SpecterSimulator } from '../connectors/specter/simulator';

export interface SimulatorCredentials {
  app4salesApiKey: string;
  /** The simulator's webhook secret: the receiver's (app4salesWebhook section), not the adapters'. Kept so callers pass one set of credentials. */
  webhookSecret: string;
  specter: { sbmId: number; writeUser: SpecterCredentials; readUser: SpecterCredentials };
}

/** The adapters' configuration pointed at running simulators (tests, benchmark). */
export function simulatorAdapterConfig(
  sims: { app4sales: Pick<App4SalesSimulator, 'url'>; specter: Pick<SpecterSimulator, 'url'> },
  creds: SimulatorCredentials,
  overrides: { app4salesTimeoutMs?: number; specterTimeoutMs?: number; specterUrl?: string; specterWriteKey?: string; defaultCustomerGroupId?: string } = {},
): Pick<Config, 'app4sales' | 'specter'> {
  return {
    app4sales: { baseUrl: sims.app4sales.url, apiKey: creds.app4salesApiKey, timeoutMs: overrides.app4salesTimeoutMs ?? 10_000 },
    specter: {
      baseUrl: overrides.specterUrl ?? sims.specter.url,
      sbmId: creds.specter.sbmId,
      writeUserId: creds.specter.writeUser.id,
      writeUserKey: overrides.specterWriteKey ?? creds.specter.writeUser.key,
      readUserId: creds.specter.readUser.id,
      readUserKey: creds.specter.readUser.key,
      timeoutMs: overrides.specterTimeoutMs ?? 15_000,
      defaultCustomerGroupId: overrides.defaultCustomerGroupId,
    },
  };
}
