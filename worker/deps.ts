import { App4SalesClient } from '../connectors/app4sales/client';
import type { ActivityDeps, TemporalDeps } from '../activities';
import type { Config } from '../common/config';
import { ServiceTradeClient } from '../connectors/servicetrade/client';
import { SpecterClient } from '../connectors/specter/client';
import { SpectrumClient } from '../connectors/spectrum/client';

/** The configuration sections the worker loads: every flow's adapters and settings, no webhook secrets. */
export const WORKER_CONFIG_SECTIONS = ['temporal', 'log', 'app4sales', 'specter', 'servicetrade', 'spectrum', 'jobSync'] as const;

export type AdapterConfig = Pick<Config, 'app4sales' | 'specter' | 'servicetrade' | 'spectrum' | 'jobSync'>;

/** The Spectrum client's settings from the configuration (enhanced authentication only when turned on). */
export function spectrumClientConfig(spectrum: Config['spectrum']): ConstructorParameters<typeof SpectrumClient>[0] {
  return {
    webServicesUrl: spectrum.webServicesUrl,
    authorizationId: spectrum.authorizationId,
    companyCode: spectrum.companyCode,
    enhancedAuth:
      spectrum.enhancedAuth && spectrum.clientId && spectrum.clientSecret
        ? { clientId: spectrum.clientId, clientSecret: spectrum.clientSecret, tokenUrl: spectrum.tokenUrl }
        : undefined,
    timeoutMs: spectrum.timeoutMs,
  };
}

/** The real adapters, pointed at the URLs and credentials of the configuration. */
export function createActivityDeps(config: AdapterConfig, temporal: TemporalDeps): ActivityDeps & { close(): Promise<void> } {
  const app4sales = new App4SalesClient(config.app4sales);
  const specter = new SpecterClient(config.specter);
  const servicetrade = new ServiceTradeClient(config.servicetrade);
  const spectrum = new SpectrumClient(spectrumClientConfig(config.spectrum));
  return {
    app4sales,
    specter,
    servicetrade,
    spectrum,
    jobSync: config.jobSync,
    temporal,
    settings: { defaultCustomerGroupId: config.specter.defaultCustomerGroupId ?? null },
    async close() {
      await Promise.all([app4sales.close(), specter.close(), servicetrade.close(), spectrum.close()]);
    },
  };
}
