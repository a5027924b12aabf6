/**
 * The customer flow's worker in a process of its own (bench --worker-process child, the default), so
 * that "CPU per sync, worker" is the worker's alone: the bench process keeps the client (signal-with-
 * start, the result long-polls) and the simulators, whose CPU is reported separately. The child is
 * bench/worker-child.ts, built by the same factory as worker/main.ts (createFieldBridgeWorker), on the
 * bench's workflow bundle (written to a file), with the real activities pointed at the simulators'
 * URLs or the customer flow's no-op activities.
 *
 * `--worker-cpu-prof DIR` starts the child with `node --cpu-prof --cpu-prof-dir=DIR`: one profile of
 * the worker's main thread and one of its workflow thread per phase (bench/probe/cpu-profile-summary.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { AdapterConfig } from '../worker/deps';

/** What the child is told to run. */
export interface WorkerChildStart {
  type: 'start';
  address: string;
  namespace: string;
  taskQueue: string;
  /** Files holding the workflow bundle's code and source map. */
  bundle: { codePath: string; sourceMapPath: string };
  /** 'real': createActivities over the adapters (pointed at the simulators); 'null-customer': the customer flow's no-op activities. */
  activities: 'real' | 'null-customer';
  adapters?: AdapterConfig;
  /** The task queue the activities' Temporal deps name (as the inline bench passes). */
  depsTaskQueue?: string;
}

export type WorkerChildMessage = { type: 'ready' } | { type: 'stopped' } | { type: 'error'; message: string };

export interface WorkerProcess {
  pid: number;
  /** Shut the worker down (graceful) and wait for the process to exit. */
  stop(): Promise<void>;
}

let bundleFiles: { codePath: string; sourceMapPath: string } | undefined;
let bundleOf: WorkflowBundleWithSourceMap | undefined;

/** Write the bundle to files once per bench process. */
function bundleOnDisk(bundle: WorkflowBundleWithSourceMap): { codePath: string; sourceMapPath: string } {
  if (bundleFiles && bundleOf === bundle) return bundleFiles;
  const dir = mkdtempSync(join(tmpdir(), 'fieldbridge-bench-bundle-'));
  const codePath = join(dir, 'workflow-bundle.js');
  const sourceMapPath = join(dir, 'workflow-bundle.js.map');
  writeFileSync(codePath, bundle.code);
  writeFileSync(sourceMapPath, bundle.sourceMap);
  bundleFiles = { codePath, sourceMapPath };
  bundleOf = bundle;
  return bundleFiles;
}

export interface StartWorkerProcessOptions extends Omit<WorkerChildStart, 'type' | 'bundle'> {
  bundle: WorkflowBundleWithSourceMap;
  /** Directory for `--cpu-prof` profiles of the child, when profiling. */
  cpuProfDir?: string;
}

/** Fork bench/worker-child.ts (with this process's tsx loader), start its worker, resolve once it polls. */
export function startWorkerProcess(opts: StartWorkerProcessOptions): Promise<WorkerProcess> {
  const { bundle, cpuProfDir, ...rest } = opts;
  const start: WorkerChildStart = { type: 'start', ...rest, bundle: bundleOnDisk(bundle) };
  const execArgv = [...process.execArgv, ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [])];
  const child: ChildProcess = fork(join(__dirname, 'worker-child.ts'), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise<WorkerProcess>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the bench's worker process exited (${code}) before it was ready`));
    child.once('exit', onExit);
    child.on('message', (msg: WorkerChildMessage) => {
      if (msg.type === 'error') reject(new Error(`the bench's worker process: ${msg.message}`));
      if (msg.type !== 'ready') return;
      child.off('exit', onExit);
      resolve({
        pid: child.pid!,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.send({ type: 'stop' });
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
    child.send(start);
  });
}
