/**
 * Where a Node CPU profile's time goes, by package (self time): for profiling the worker while the
 * bench runs.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --require tsx/cjs bench/customer-sync.ts --flows customer \
 *     --phases real --n 1 --warmup 5 --idle-n 100 --paced-n 0
 *   npx tsx bench/probe/cpu-profile-summary.ts /tmp/prof/*.cpuprofile [--top 25] [--per N] [--fns 30]
 *
 * or the worker alone, in its own process: `npm run bench -- --flows customer --worker-cpu-prof /tmp/prof ...`.
 * `--fns N` adds the N functions with the most self time.
 *
 * `--per N` divides the times by N (e.g. the number of syncs) to print ms per sync. Groups: a
 * node_modules package (`@temporalio/worker`, `pino`, `undici`, …), `node:` internals, this
 * project's folders, the workflow sandbox's bundle (`workflow-bundle`), (garbage collector),
 * (program) (native code: the Rust core, V8 itself), (idle).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function group(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: internals';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if ((!url.startsWith('file:') && !url.startsWith('/')) || url.includes('workflow-bundle')) return 'workflow-bundle (sandbox)';
  const m = /\/(activities|bench|client|common|connectors|mappings|scripts|simulators|workflows|worker)\//.exec(url);
  return m ? `fieldbridge ${m[1]}/` : url;
}

function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' }, per: { type: 'string' }, fns: { type: 'string' } } });
  const fns = Number(values.fns ?? 0);
  const top = Number(values.top ?? 25);
  const per = Number(values.per ?? 1);
  for (const file of positionals) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    const fnSelf = new Map<string, number>();
    let total = 0;
    profile.samples.forEach((id, i) => {
      const dt = (profile.timeDeltas[i] ?? 0) / 1000;
      const node = byId.get(id)!;
      const g = group(node);
      self.set(g, (self.get(g) ?? 0) + dt);
      if (fns > 0 && g !== '(idle)') {
        const { functionName, url, lineNumber } = node.callFrame;
        const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
        fnSelf.set(key, (fnSelf.get(key) ?? 0) + dt);
      }
      total += dt;
    });
    const busy = total - (self.get('(idle)') ?? 0);
    process.stdout.write(`\n${file}: ${(total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy${per > 1 ? `; ms per 1/${per}` : ''}\n`);
    const rows = [...self.entries()].filter(([g]) => g !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top);
    for (const [g, ms] of rows) process.stdout.write(`  ${g.padEnd(40)} ${(ms / per).toFixed(2).padStart(10)} ms  ${((ms / busy) * 100).toFixed(1).padStart(5)} %\n`);
    if (fns > 0) {
      process.stdout.write(`  top ${fns} functions by self time:\n`);
      const top = [...fnSelf.entries()].sort((a, b) => b[1] - a[1]).slice(0, fns);
      for (const [f, ms] of top) process.stdout.write(`    ${f.slice(0, 90).padEnd(90)} ${(ms / per).toFixed(2).padStart(9)} ms  ${((ms / busy) * 100).toFixed(1).padStart(5)} %\n`);
    }
  }
}

main();
