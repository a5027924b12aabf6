/**
 * jest globalSetup: make sure the Temporal CLI (dev server) is available before any test runs,
 * building it with Go when necessary, and hand its path to the tests via FIELDBRIDGE_TEMPORAL_CLI
 * (read it with temporalCliPath() from test/helpers/temporal-cli.ts).
 */
import { ensureTemporalCli } from '../scripts/temporal-cli';
import { TEMPORAL_CLI_ENV } from './helpers/temporal-cli';

export default async function globalSetup(): Promise<void> {
  const cli = await ensureTemporalCli({
    allowBuild: true,
    log: (msg) => process.stderr.write(`[global-setup] ${msg}\n`),
  });
  process.env[TEMPORAL_CLI_ENV] = cli.path;
}
