/**
 * `npm run build` (and `npm pack`, through prepack): the production code compiled to dist/
 * (tsconfig.build.json: CommonJS for Node 20, no tests, scripts, simulators, benchmarks), then the
 * workflow code bundled once with the SDK's webpack, so that the built worker starts with plain `node`
 * and loads its workflows from a file (dist/workflow-bundle*.js) instead of bundling them at start.
 *
 * The bundles are made exactly as the development worker and the tests make theirs (bundleWorkflows:
 * the same workflows, the same workflow interceptor modules), one per failure converter (see
 * WORKFLOW_BUNDLE_FILES).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ENCRYPTED_FAILURE_CONVERTER_PATH } from '../common/temporal-connection';
import { bundleWorkflows, WORKFLOW_BUNDLE_FILES } from '../worker/worker';

const root = join(__dirname, '..');
const dist = join(root, 'dist');

async function main(): Promise<void> {
  const t0 = Date.now();
  rmSync(dist, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${tsc.status ?? tsc.signal})`);
  const compiled = Date.now();
  mkdirSync(dist, { recursive: true });
  const bundles = await Promise.all([bundleWorkflows(), bundleWorkflows(undefined, { failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH })]);
  writeFileSync(join(dist, WORKFLOW_BUNDLE_FILES.clear), bundles[0].code);
  writeFileSync(join(dist, WORKFLOW_BUNDLE_FILES.encryptedFailures), bundles[1].code);
  const sizes = bundles.map((b) => `${(Buffer.byteLength(b.code) / 1e6).toFixed(1)} MB`).join(', ');
  process.stdout.write(
    `built ${relative(root, dist)}/ in ${((Date.now() - t0) / 1000).toFixed(1)} s (tsc ${((compiled - t0) / 1000).toFixed(1)} s; ` +
      `workflow bundles ${WORKFLOW_BUNDLE_FILES.clear}, ${WORKFLOW_BUNDLE_FILES.encryptedFailures}: ${sizes})\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`build failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
