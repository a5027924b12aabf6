import { App4SalesClient } from '../connectors/app4sales/client';
import type { ActivityDeps, TemporalDeps } from '../activities';
import type { Config } from '../common/config';
import { SpecterClient } from '../connectors/specter/client';

/** The real adapters, pointed at the URLs and credentials of the configuration. */
export function createActivityDeps(config: Pick<Config, 'app4sales' | 'specter'>, temporal: TemporalDeps): ActivityDeps & { close(): Promise<void> } {
  const app4sales = new App4SalesClient(config.app4sales);
  const specter = new SpecterClient(config.specter);
  return {
    app4sales,
    specter,
    temporal,
    settings: { defaultCustomerGroupId: config.specter.defaultCustomerGroupId ?? null },
    async close() {
      await Promise.all([app4sales.close(), specter.close()]);
    },
  };
}
