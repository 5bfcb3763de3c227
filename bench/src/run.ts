/**
 * gflow's benchmark: runs the workloads of bench/peer/WORKLOADS.md through the public API and
 * writes JSON in the shape bench/peer/compare.mjs reads.
 *
 *   pnpm bench [-- --backend wasm|cpu|...] [--only a,b] [--repeats N] [--wasm-threads N|auto] [--out FILE]
 *
 * Each workload builds its model and data once, runs once to warm up, then `repeats` times
 * (the peer's count unless --repeats); the median is reported. Every run reads its results back
 * to the host as plain numbers.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { type BackendInfo, type BackendName, initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import type { Summary, Workload } from './workload.js';
import { workloads } from './workloads/index.js';

const require = createRequire(import.meta.url);

interface Result {
  seconds: number;
  /** The engine it ran on: 'none (pure JavaScript)' for a workload without tensors. */
  engine?: string;
  samples: number[];
  what: string;
  summary?: Summary;
  leakedTensors?: number;
  /**
   * The process's resident-set high-water mark (`process.resourceUsage().maxRSS`) right after
   * the timed runs, MiB. With one process per workload (the default) it is this workload's peak,
   * the Node.js runtime and the engine included.
   */
  peakRssMiB?: number;
  /** RSS after `prepare`, before the warm-up, MiB: the floor the workload's own peak sits on. */
  baseRssMiB?: number;
  /**
   * The tensor engine's peak bytes during one extra untimed run under `tf.profile`
   * (`peakBytes`: every live tensor's bytes, the model's weights included), MiB.
   */
  tfPeakMiB?: number;
}

const MiB = 2 ** 20;
const mib = (bytes: number): number => +(bytes / MiB).toFixed(1);

function usage(): string {
  return [
    'usage: node bench/dist/run.js [--backend NAME] [--only a,b] [--repeats N] [--wasm-threads N|auto] [--same-process] [--out FILE]',
    'Each workload runs in a fresh Node.js process (so that its peak RSS is its own) unless --same-process.',
    `workloads: ${workloads.map((w) => w.name).join(', ')}`,
    'backends: wasm (default), cpu, tensorflow, tensorflow-gpu, webgpu',
  ].join('\n');
}

function parse(argv: string[]) {
  // `pnpm bench -- --x` forwards a literal "--" with some pnpm versions: drop it.
  const args = argv.filter((a, i) => !(a === '--' && i === 0));
  const { values } = parseArgs({
    args,
    options: {
      backend: { type: 'string' },
      only: { type: 'string' },
      repeats: { type: 'string' },
      out: { type: 'string' },
      'wasm-threads': { type: 'string' },
      'same-process': { type: 'boolean' },
      child: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  return values;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function runOne(w: Workload, repeats: number): Promise<Result> {
  // No tf call for a workload without tensors: the first one would start tfjs's default engine.
  const tensors = (): number => (w.engine === false ? 0 : tf.memory().numTensors);
  const before = tensors();
  const prepared = await w.prepare();
  const baseRss = process.memoryUsage().rss;
  let summary: Summary | undefined;
  const samples: number[] = [];
  let peakRss = Number.NaN;
  let tfPeak: number | undefined;
  try {
    summary = await prepared.run(); // warm-up
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      summary = await prepared.run();
      samples.push((performance.now() - t0) / 1000);
    }
    // maxRSS is in KiB; read before the profiled run below, which keeps every kernel's record.
    peakRss = process.resourceUsage().maxRSS * 1024;
    if (w.engine !== false) {
      const info = await tf.profile(async () => {
        await prepared.run();
      });
      tfPeak = info.peakBytes;
    }
  } finally {
    prepared.dispose();
  }
  const leaked = tensors() - before;
  return {
    seconds: median(samples),
    samples,
    what: w.what,
    ...(summary ? { summary } : {}),
    ...(leaked !== 0 ? { leakedTensors: leaked } : {}),
    peakRssMiB: mib(peakRss),
    baseRssMiB: mib(baseRss),
    ...(tfPeak !== undefined ? { tfPeakMiB: mib(tfPeak) } : {}),
  };
}

async function main(): Promise<void> {
  const opts = parse(process.argv.slice(2));
  const loadAtStart = os.loadavg().map((x) => +x.toFixed(2));
  if (opts.help) {
    console.log(usage());
    return;
  }
  const only = (opts.only ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only.filter((n) => !workloads.some((w) => w.name === n));
  if (unknown.length > 0) throw new Error(`--only: unknown workload(s) ${unknown.join(', ')}\n${usage()}`);
  const repeats = opts.repeats === undefined ? undefined : Number(opts.repeats);
  if (repeats !== undefined && !(Number.isInteger(repeats) && repeats >= 1)) {
    throw new Error(`--repeats must be an integer >= 1, got ${opts.repeats}`);
  }
  const wasmThreads =
    opts['wasm-threads'] === undefined
      ? undefined
      : opts['wasm-threads'] === 'auto'
        ? ('auto' as const)
        : Number(opts['wasm-threads']);
  const prefer = (opts.backend ?? 'auto') as BackendName | 'auto';
  if (wasmThreads !== undefined && prefer !== 'auto' && prefer !== 'wasm') {
    throw new Error('--wasm-threads needs the wasm backend');
  }
  // Workloads without tensors first, before any engine exists in the process (see Workload.engine).
  const selected = workloads.filter((w) => only.length === 0 || only.includes(w.name));
  if (!opts.child && !opts['same-process'] && selected.length > 1) {
    const passOn = [
      ...(opts.backend !== undefined ? ['--backend', opts.backend] : []),
      ...(opts.repeats !== undefined ? ['--repeats', opts.repeats] : []),
      ...(opts['wasm-threads'] !== undefined ? ['--wasm-threads', opts['wasm-threads']] : []),
    ];
    writeOut(runIsolated(selected, passOn, loadAtStart), opts.out);
    return;
  }
  const results: Record<string, Result> = {};
  const failed: Record<string, string> = {};
  const runAll = async (ws: readonly Workload[], engineName: string): Promise<void> => {
    for (const w of ws) {
      try {
        const r = await runOne(w, repeats ?? w.repeats);
        results[w.name] = { ...r, engine: engineName };
        console.error(`${w.name}: ${r.seconds.toFixed(4)} s`);
      } catch (e) {
        failed[w.name] = e instanceof Error ? e.message : String(e);
        console.error(`${w.name}: FAILED`, e);
        process.exitCode = 1;
      }
    }
  };
  await runAll(
    selected.filter((w) => w.engine === false),
    'none (pure JavaScript)',
  );
  // The engine as a user starts it: @gflow/backend's kernel fills are always on for wasm, and
  // threads are its `threads` option. A benchmark has the machine to itself, which is the case
  // that option's documentation gives for 'auto' (every core, as PyTorch's peer uses both), so
  // 'auto' is the default here; `--wasm-threads 1` measures the library's own default.
  const info: BackendInfo = await initBackend({
    prefer: wasmThreads !== undefined ? 'wasm' : prefer,
    threads: wasmThreads ?? 'auto',
  });
  const engine = {
    name: info.name,
    tfBackend: tf.getBackend(),
    threads: info.threads,
    simd: info.simd,
    accelerated: info.accelerated,
    fills: info.fills,
    ...(info.device !== undefined ? { device: info.device } : {}),
  };
  console.error(`gflow bench: engine ${engine.name} (${engine.threads} thread(s), simd ${engine.simd})`);

  await runAll(
    selected.filter((w) => w.engine !== false),
    `${engine.name} (${engine.threads} thread(s))`,
  );

  const out = {
    engine,
    versions: {
      node: process.version,
      tfjs: tf.version.tfjs,
      'tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm'),
      gflow: packageVersion('@gflow/backend'),
    },
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
      loadAverage: loadAtStart,
      date: new Date().toISOString(),
      memoryMeasured:
        selected.length <= 1
          ? 'one process per workload'
          : 'all workloads in one process (--same-process): each peak RSS includes the rows before it',
    },
    // In the order of WORKLOADS.md.
    workloads: Object.fromEntries(
      workloads.flatMap((w) => (results[w.name] ? [[w.name, results[w.name]]] : [])),
    ),
    failed,
  };

  writeOut(out, opts.out);
}

function writeOut(out: unknown, file: string | undefined): void {
  const json = `${JSON.stringify(out, null, 1)}\n`;
  if (file) writeFileSync(file, json);
  else process.stdout.write(json);
}

interface RunOutput {
  engine?: unknown;
  versions?: unknown;
  machine?: Record<string, unknown>;
  workloads: Record<string, Result>;
  failed: Record<string, string>;
}

/**
 * Runs each workload in its own Node.js process (this script with `--only NAME --child`) and
 * merges their outputs, so that each row's peak RSS is that workload's alone.
 */
function runIsolated(selected: readonly Workload[], passOn: string[], loadAtStart: number[]): RunOutput {
  const merged: RunOutput = { workloads: {}, failed: {} };
  for (const w of selected) {
    const args = [process.argv[1] as string, ...passOn, '--only', w.name, '--child'];
    const r = spawnSync(process.execPath, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * MiB,
    });
    let child: RunOutput | undefined;
    try {
      child = JSON.parse(r.stdout) as RunOutput;
    } catch {
      child = undefined;
    }
    if (!child) {
      merged.failed[w.name] = `child process exited with ${r.status ?? r.signal} and no JSON`;
      process.exitCode = 1;
      continue;
    }
    Object.assign(merged.workloads, child.workloads);
    Object.assign(merged.failed, child.failed);
    if (r.status !== 0) process.exitCode = 1;
    if (w.engine !== false || merged.engine === undefined) {
      merged.engine = child.engine;
      merged.versions = child.versions;
      merged.machine = { ...child.machine, loadAverage: loadAtStart };
    }
  }
  return merged;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
});
