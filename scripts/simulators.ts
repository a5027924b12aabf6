/**
 * Starts every simulator (App4Sales, Specter, ServiceTrade, Spectrum, ServiceChannel, ServicePower), seeded with demo data (`npm run simulators`).
 * `startSimulators(env)` does the same in-process for other scripts.
 *
 * Environment (defaults in brackets): APP4SALES_SIM_PORT [4010], SPECTER_SIM_PORT [4020],
 * SIMULATORS_HOST [127.0.0.1], APP4SALES_API_KEY [dev-app4sales-key],
 * APP4SALES_WEBHOOK_URL [http://127.0.0.1:3000/webhooks/app4sales] (empty: no webhooks),
 * APP4SALES_WEBHOOK_SECRET [dev-webhook-secret], SPECTER_SBM_ID [1],
 * SPECTER_WRITE_USER_ID / SPECTER_WRITE_USER_KEY [writer / dev-write-key],
 * SPECTER_READ_USER_ID / SPECTER_READ_USER_KEY [reader / dev-read-key],
 * SERVICETRADE_SIM_PORT [4030], SERVICETRADE_CLIENT_ID / SERVICETRADE_CLIENT_SECRET [fieldbridge / dev-servicetrade-secret],
 * SERVICETRADE_WEBHOOK_URL [http://127.0.0.1:3000/webhooks/servicetrade/<SERVICETRADE_WEBHOOK_TOKEN>] (empty: no webhooks),
 * SERVICETRADE_WEBHOOK_TOKEN [dev-servicetrade-hook-token-0123456789], SPECTRUM_SIM_PORT [4040],
 * SPECTRUM_AUTHORIZATION_ID [FIELDBRIDGE], SPECTRUM_CLIENT_ID / SPECTRUM_CLIENT_SECRET (both set: enhanced
 * authentication required), SPECTRUM_LEAD_SOURCE_REQUIRED [false],
 * SERVICECHANNEL_SIM_PORT [4050], SERVICECHANNEL_ENVIRONMENT [production] (its per-minute limits),
 * SERVICECHANNEL_CLIENT_ID / SERVICECHANNEL_CLIENT_SECRET / SERVICECHANNEL_USERNAME / SERVICECHANNEL_PASSWORD
 * [the demo client and user of connectors/servicechannel/demo-data.ts],
 * SERVICECHANNEL_WEBHOOK_URL [http://127.0.0.1:3000/webhooks/servicechannel] (empty: no webhooks),
 * SERVICECHANNEL_WEBHOOK_KEY [dev-servicechannel-webhook-key], SERVICEPOWER_SIM_PORT [4060],
 * SERVICEPOWER_USERNAME [fieldbridge], SERVICEPOWER_PASSWORD [dev-servicepower-password] (the user POST /createjwt accepts),
 * SERVICEPOWER_NOTIFICATION_URL [http://127.0.0.1:3000/webhooks/servicepower] (empty: no notifications),
 * SERVICEPOWER_NOTIFICATION_SECRET [dev-servicepower-notification-secret], LOG_LEVEL [info].
 */
import pino from 'pino';
import { z } from 'zod';
import { type App4SalesSimulator, startApp4SalesSimulator } from '../connectors/app4sales/simulator';
import { demoApp4SalesData } from '../connectors/app4sales/demo-data';
import type { SimulatorLogger } from '../simulators/http';
import { type SpecterSimulator, startSpecterSimulator } from '../connectors/specter/simulator';
import { demoServiceTradeData } from '../connectors/servicetrade/demo-data';
import { type ServiceTradeSimulator, startServiceTradeSimulator } from '../connectors/servicetrade/simulator';
import { demoSpectrumAuthorization, demoSpectrumData, demoSpectrumSettings } from '../connectors/spectrum/demo-data';
import { type SpectrumSimulator, startSpectrumSimulator } from '../connectors/spectrum/simulator';
import { DEMO_SERVICECHANNEL_CLIENT, DEMO_SERVICECHANNEL_USER, DEMO_SERVICECHANNEL_WEBHOOK_KEY, demoServiceChannelData } from '../connectors/servicechannel/demo-data';
import { type ServiceChannelSimulator, startServiceChannelSimulator } from '../connectors/servicechannel/simulator';
import { DEMO_SERVICEPOWER_USER, demoServicePowerData } from '../connectors/servicepower/demo-data';
import { type ServicePowerSimulator, startServicePowerSimulator } from '../connectors/servicepower/simulator';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const SimulatorEnvSchema = z.object({
  APP4SALES_SIM_PORT: port(4010),
  SPECTER_SIM_PORT: port(4020),
  SIMULATORS_HOST: z.string().default('127.0.0.1'),
  APP4SALES_API_KEY: z.string().default('dev-app4sales-key'),
  APP4SALES_WEBHOOK_URL: z.string().default('http://127.0.0.1:3000/webhooks/app4sales'),
  APP4SALES_WEBHOOK_SECRET: z.string().default('dev-webhook-secret'),
  SPECTER_SBM_ID: z.coerce.number().int().default(1),
  SPECTER_WRITE_USER_ID: z.string().default('writer'),
  SPECTER_WRITE_USER_KEY: z.string().default('dev-write-key'),
  SPECTER_READ_USER_ID: z.string().default('reader'),
  SPECTER_READ_USER_KEY: z.string().default('dev-read-key'),
  SERVICETRADE_SIM_PORT: port(4030),
  SERVICETRADE_CLIENT_ID: z.string().default('fieldbridge'),
  SERVICETRADE_CLIENT_SECRET: z.string().default('dev-servicetrade-secret'),
  SERVICETRADE_WEBHOOK_TOKEN: z.string().default('dev-servicetrade-hook-token-0123456789'),
  /** Unset: the receiver's ServiceTrade route on port 3000 with the token. */
  SERVICETRADE_WEBHOOK_URL: z.string().optional(),
  SPECTRUM_SIM_PORT: port(4040),
  SPECTRUM_AUTHORIZATION_ID: z.string().default('FIELDBRIDGE'),
  SPECTRUM_CLIENT_ID: z.string().optional(),
  SPECTRUM_CLIENT_SECRET: z.string().optional(),
  SPECTRUM_LEAD_SOURCE_REQUIRED: z.stringbool().default(false),
  SERVICECHANNEL_SIM_PORT: port(4050),
  SERVICECHANNEL_ENVIRONMENT: z.enum(['production', 'sandbox']).default('production'),
  SERVICECHANNEL_CLIENT_ID: z.string().default(DEMO_SERVICECHANNEL_CLIENT.clientId),
  SERVICECHANNEL_CLIENT_SECRET: z.string().default(DEMO_SERVICECHANNEL_CLIENT.clientSecret),
  SERVICECHANNEL_USERNAME: z.string().default(DEMO_SERVICECHANNEL_USER.username),
  SERVICECHANNEL_PASSWORD: z.string().default(DEMO_SERVICECHANNEL_USER.password),
  SERVICECHANNEL_WEBHOOK_URL: z.string().default('http://127.0.0.1:3000/webhooks/servicechannel'),
  SERVICECHANNEL_WEBHOOK_KEY: z.string().default(DEMO_SERVICECHANNEL_WEBHOOK_KEY),
  SERVICEPOWER_SIM_PORT: port(4060),
  SERVICEPOWER_USERNAME: z.string().default(DEMO_SERVICEPOWER_USER.username),
  SERVICEPOWER_PASSWORD: z.string().default(DEMO_SERVICEPOWER_USER.password),
  SERVICEPOWER_NOTIFICATION_URL: z.string().default('http://127.0.0.1:3000/webhooks/servicepower'),
  SERVICEPOWER_NOTIFICATION_SECRET: z.string().default('dev-servicepower-notification-secret'),
});

/** The variables whose empty value means "none" (no webhooks), not "the default". */
const EMPTY_MEANS_NONE = new Set(['APP4SALES_WEBHOOK_URL', 'SERVICETRADE_WEBHOOK_URL', 'SERVICECHANNEL_WEBHOOK_URL', 'SERVICEPOWER_NOTIFICATION_URL']);
export type SimulatorEnv = z.infer<typeof SimulatorEnvSchema>;

/**
 * Reads the simulator settings; unset or empty variables take their defaults (APP4SALES_WEBHOOK_URL="",
 * SERVICETRADE_WEBHOOK_URL="", SERVICECHANNEL_WEBHOOK_URL="" or SERVICEPOWER_NOTIFICATION_URL="" disables those webhooks).
 */
export function parseSimulatorEnv(env: NodeJS.ProcessEnv): SimulatorEnv {
  const relevant = Object.fromEntries(
    Object.keys(SimulatorEnvSchema.shape)
      .filter((name) => env[name] !== undefined && (env[name] !== '' || EMPTY_MEANS_NONE.has(name)))
      .map((name) => [name, env[name]]),
  );
  return SimulatorEnvSchema.parse(relevant);
}

export interface Simulators {
  app4sales: App4SalesSimulator;
  specter: SpecterSimulator;
  servicetrade: ServiceTradeSimulator;
  spectrum: SpectrumSimulator;
  servicechannel: ServiceChannelSimulator;
  servicepower: ServicePowerSimulator;
  close(): Promise<void>;
}

export interface StartSimulatorsOptions {
  logger?: SimulatorLogger;
  /** Load the demo data (without webhooks). Default true. */
  seed?: boolean;
}

export async function startSimulators(
  env: NodeJS.ProcessEnv = process.env,
  { logger = false, seed = true }: StartSimulatorsOptions = {},
): Promise<Simulators> {
  const settings = parseSimulatorEnv(env);
  const host = settings.SIMULATORS_HOST;
  const app4sales = await startApp4SalesSimulator({
    port: settings.APP4SALES_SIM_PORT,
    host,
    apiKey: settings.APP4SALES_API_KEY,
    webhook: settings.APP4SALES_WEBHOOK_URL
      ? { url: settings.APP4SALES_WEBHOOK_URL, secret: settings.APP4SALES_WEBHOOK_SECRET }
      : undefined,
    logger,
  });
  const started: Array<{ close(): Promise<void> }> = [app4sales];
  try {
    const specter = await startSpecterSimulator({
      port: settings.SPECTER_SIM_PORT,
      host,
      sbmId: settings.SPECTER_SBM_ID,
      writeUser: { id: settings.SPECTER_WRITE_USER_ID, key: settings.SPECTER_WRITE_USER_KEY },
      readUser: { id: settings.SPECTER_READ_USER_ID, key: settings.SPECTER_READ_USER_KEY },
      logger,
    });
    started.push(specter);
    const hookUrl = settings.SERVICETRADE_WEBHOOK_URL ?? `http://127.0.0.1:3000/webhooks/servicetrade/${settings.SERVICETRADE_WEBHOOK_TOKEN}`;
    const servicetrade = await startServiceTradeSimulator({
      port: settings.SERVICETRADE_SIM_PORT,
      host,
      clients: [{ clientId: settings.SERVICETRADE_CLIENT_ID, clientSecret: settings.SERVICETRADE_CLIENT_SECRET }],
      webhook: hookUrl ? { hookUrl } : undefined,
      logger,
    });
    started.push(servicetrade);
    const enhanced = settings.SPECTRUM_CLIENT_ID && settings.SPECTRUM_CLIENT_SECRET;
    const spectrum = await startSpectrumSimulator({
      port: settings.SPECTRUM_SIM_PORT,
      host,
      authorizations: [demoSpectrumAuthorization(settings.SPECTRUM_AUTHORIZATION_ID)],
      enhancedAuth: enhanced
        ? { clients: [{ clientId: settings.SPECTRUM_CLIENT_ID!, clientSecret: settings.SPECTRUM_CLIENT_SECRET!, authorizationId: settings.SPECTRUM_AUTHORIZATION_ID }] }
        : undefined,
      settings: { ...demoSpectrumSettings, leadSourceRequired: settings.SPECTRUM_LEAD_SOURCE_REQUIRED },
      seed: demoSpectrumData,
      logger,
    });
    started.push(spectrum);
    // The demo work orders are loaded at start, without webhooks: `npm start` sends them to ServicePower itself.
    const servicechannel = await startServiceChannelSimulator({
      port: settings.SERVICECHANNEL_SIM_PORT,
      host,
      environment: settings.SERVICECHANNEL_ENVIRONMENT,
      clients: [{ clientId: settings.SERVICECHANNEL_CLIENT_ID, clientSecret: settings.SERVICECHANNEL_CLIENT_SECRET }],
      users: [{ username: settings.SERVICECHANNEL_USERNAME, password: settings.SERVICECHANNEL_PASSWORD }],
      webhook: settings.SERVICECHANNEL_WEBHOOK_URL ? { url: settings.SERVICECHANNEL_WEBHOOK_URL, key: settings.SERVICECHANNEL_WEBHOOK_KEY } : undefined,
      seed: seed ? demoServiceChannelData : undefined,
      logger,
    });
    started.push(servicechannel);
    const servicepower = await startServicePowerSimulator({
      port: settings.SERVICEPOWER_SIM_PORT,
      host,
      users: [{ username: settings.SERVICEPOWER_USERNAME, password: settings.SERVICEPOWER_PASSWORD }],
      notification: settings.SERVICEPOWER_NOTIFICATION_URL ? { url: settings.SERVICEPOWER_NOTIFICATION_URL, secret: settings.SERVICEPOWER_NOTIFICATION_SECRET } : undefined,
      seed: seed ? demoServicePowerData : undefined,
      logger,
    });
    started.push(servicepower);
    if (seed) {
      app4sales.seed(demoApp4SalesData);
      // Quietly: the demo records exist before anything listens for their webhooks.
      servicetrade.state.seed(demoServiceTradeData);
    }
    return {
      app4sales,
      specter,
      servicetrade,
      spectrum,
      servicechannel,
      servicepower,
      close: async () => {
        await Promise.all(started.map((s) => s.close()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.close()));
    throw error;
  }
}

async function main(): Promise<void> {
  const logger = pino({ name: 'simulators', level: process.env.LOG_LEVEL ?? 'info' });
  const simulators = await startSimulators(process.env, { logger });
  logger.info(
    {
      app4sales: simulators.app4sales.url,
      specter: simulators.specter.apiUrl,
      servicetrade: simulators.servicetrade.url,
      spectrum: simulators.spectrum.wsUrl,
      servicechannel: simulators.servicechannel.url,
      servicepower: simulators.servicepower.url,
      webhook: simulators.app4sales.webhooks.target?.url ?? null,
      servicechannelWebhook: simulators.servicechannel.webhooks.target?.url ?? null,
      servicepowerNotification: simulators.servicepower.notifications.target?.url ?? null,
    },
    'simulators listening',
  );

  const shutdown = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping simulators');
    simulators.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping simulators');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    pino({ name: 'simulators' }).fatal({ err: error }, 'simulators failed to start');
    process.exit(1);
  });
}
