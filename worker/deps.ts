import { App4SalesClient } from '../connectors/app4sales/client';
import type { ActivityDeps, TemporalDeps } from '../activities';
import type { Config } from '../common/config';
import { ServiceTradeClient } from '../connectors/servicetrade/client';
import { SpecterClient } from '../connectors/specter/client';
import { SpectrumClient } from '../connectors/spectrum/client';
import { ServiceChannelClient, type ServiceChannelClientConfig } from '../connectors/servicechannel/client';
import { SERVICECHANNEL_ENVIRONMENTS, SERVICECHANNEL_RATE_LIMITS } from '../connectors/servicechannel/schemas';
import { ServicePowerClient } from '../connectors/servicepower/client';

/** The ServiceChannel client's settings: URLs from the environment (sandbox or production) unless given. */
export function serviceChannelClientConfig(sc: Config['servicechannel']): ServiceChannelClientConfig {
  const urls = SERVICECHANNEL_ENVIRONMENTS[sc.environment];
  return {
    apiBaseUrl: sc.apiBaseUrl ?? urls.apiBaseUrl,
    tokenUrl: sc.tokenUrl ?? urls.tokenUrl,
    clientId: sc.clientId,
    clientSecret: sc.clientSecret,
    username: sc.username,
    password: sc.password,
    timeoutMs: sc.timeoutMs,
  };
}

/**
 * Our ceiling on ServiceChannel requests per minute across all workers: the configured one, else 90 %
 * of ServiceChannel's per-client limit (300 in production, 40 in the sandbox).
 */
export function serviceChannelRequestsPerMinute(sc: Pick<Config['servicechannel'], 'environment' | 'requestsPerMinute'>): number {
  return sc.requestsPerMinute ?? Math.floor(SERVICECHANNEL_RATE_LIMITS[sc.environment].perClientPerMinute * 0.9);
}

/** The configuration sections the worker loads: every flow's adapters and settings, no webhook secrets. */
export const WORKER_CONFIG_SECTIONS = ['temporal', 'log', 'app4sales', 'specter', 'servicetrade', 'spectrum', 'jobSync', 'servicechannel', 'servicepower', 'mobileSync', 'workerMetrics', 'worker'] as const;

export type AdapterConfig = Pick<Config, 'app4sales' | 'specter' | 'servicetrade' | 'spectrum' | 'jobSync' | 'servicechannel' | 'servicepower' | 'mobileSync'>;

/** The Spectrum client's settings from the configuration (enhanced authentication only when turned on). */
export function spectrumClientConfig(spectrum: Config['spectrum']): ConstructorParameters<typeof SpectrumClient>[0] {
  return {
    webServicesUrl: spectrum.webServicesUrl,
    authorizationId: spectrum.authorizationId,
    companyCode: spectrum.companyCode,
    enhancedAuth:
      spectrum.enhancedAuth && spectrum.clientId && spectrum.clientSecret
        ? {
            clientId: spectrum.clientId,
            clientSecret: spectrum.clientSecret,
            clientSecretFile: spectrum.clientSecretFile,
            clientSecretExpires: spectrum.clientSecretExpires,
            secretWarnDays: spectrum.secretWarnDays,
            tokenUrl: spectrum.tokenUrl,
          }
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
  const servicechannel = new ServiceChannelClient(serviceChannelClientConfig(config.servicechannel));
  const servicepower = new ServicePowerClient(config.servicepower);
  return {
    app4sales,
    specter,
    servicetrade,
    spectrum,
    jobSync: config.jobSync,
    servicechannel,
    servicepower,
    mobileSync: config.mobileSync,
    temporal,
    settings: { defaultCustomerGroupId: config.specter.defaultCustomerGroupId ?? null },
    async close() {
      await Promise.all([app4sales.close(), specter.close(), servicetrade.close(), spectrum.close(), servicechannel.close(), servicepower.close()]);
    },
  };
}
