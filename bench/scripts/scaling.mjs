#!/usr/bin/env node
// How cost grows (issue 19, item 4): time and peak memory of
//   depth    measureGradientFlow on a plain tanh MLP, width 64, batch 32, against its depth in blocks;
//   rnn      one BPTT pass with a tap at every step (vanillaRNN + gradientTape, input 16, hidden 64,
//            batch 32, L = ½‖h_T‖²) against the number of steps;
//   hessian  hessianEigenvalues (k = 1, 20 power iterations of exact Hessian-vector products) on a
//            tanh MLP 32-w-w-10, batch 128, against its parameter count (w² + 44w + 10);
// each beside the PyTorch peer doing the same work (bench/peer/torch_peer.py --scaling KIND:SIZE).
//
//   node bench/scripts/scaling.mjs [--only depth,rnn,hessian] [--repeats 3] [--repeats-largest 1]
//                                  [--wasm-threads N|auto] [--out bench/results/scaling-DATE.json] [--svg FILE]
//   node bench/scripts/scaling.mjs --render results.json --svg FILE   (the plot again, no runs)
//
// Every point runs in a fresh process (gflow: this script with --point KIND:SIZE on the default
// engine, wasm with threads 'auto'; the peer: /usr/bin/python3 with 2 threads), gflow then the peer
// for each size, so that each peak RSS is that point's own. Each point: build (untimed), one
// warm-up, `repeats` timed runs, the median; then peak RSS (process.resourceUsage().maxRSS /
// ru_maxrss), and for gflow one more untimed run under tf.profile for tfjs's peak tensor bytes.
// Needs a build first (npx -y pnpm@10 build).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const SIZES = {
  depth: [10, 30, 100, 300, 1000],
  rnn: [64, 256, 1024, 4096],
  hessian: [16, 32, 64, 128, 300],
};
const LABEL = {
  depth: 'measureGradientFlow: blocks (MLP width 64)',
  rnn: 'BPTT with a tap per step: steps (RNN hidden 64)',
  hessian: 'hessianEigenvalues k=1: parameters',
};
const MiB = 2 ** 20;
const mib = (bytes) => +(bytes / MiB).toFixed(1);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const hessianParams = (w) => w * w + 44 * w + 10;

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a, i) => !(a === '--' && i === 0)),
  options: {
    point: { type: 'string' },
    only: { type: 'string' },
    repeats: { type: 'string' },
    'repeats-largest': { type: 'string' },
    'wasm-threads': { type: 'string' },
    out: { type: 'string' },
    svg: { type: 'string' },
    render: { type: 'string' },
  },
  strict: true,
});

/** One point in this process: prints {seconds, samples, peakRssMiB, baseRssMiB, tfPeakMiB, ...}. */
async function point(spec, repeats) {
  const [kind, sizeText] = spec.split(':');
  const size = Number(sizeText);
  const { initBackend, softmaxCrossEntropy } = await import('@gflow/backend');
  const { measureGradientFlow, gradientTape } = await import('@gflow/diagnostics');
  const { hessianEigenvalues } = await import('@gflow/landscape');
  const { plainMLP, vanillaRNN } = await import('@gflow/models');
  const tf = await import('@tensorflow/tfjs');
  const t = opts['wasm-threads'] ?? 'auto';
  const info = await initBackend({ prefer: 'wasm', threads: t === 'auto' ? 'auto' : Number(t) });
  const before = tf.memory().numTensors;
  let run;
  let dispose;
  let parameters;
  if (kind === 'depth') {
    const model = plainMLP({ depth: size, width: 64, inputSize: 64, activation: 'tanh', seed: 0 });
    const x = tf.randomNormal([32, 64], 0, 1, 'float32', 3);
    const targets = tf.scalar(0); // unused by the loss: L = Σ output, as the peer's
    const loss = (_t, y) => tf.sum(y);
    run = () => {
      const r = measureGradientFlow(model, { inputs: x, targets, loss, training: true });
      const taps = r.taps.filter((t) => /^blocks\.\d+$/.test(t.name)).length;
      if (taps !== size) throw new Error(`depth ${size}: ${taps} block taps`);
      return r.globalNorm;
    };
    dispose = () => tf.dispose([x, targets, model]);
    parameters = size * (64 * 64 + 64);
  } else if (kind === 'rnn') {
    const rnn = vanillaRNN({ inputSize: 16, hiddenSize: 64, activation: 'tanh', seed: 0 });
    const x = tf.randomNormal([32, size, 16], 0, 1, 'float32', 7);
    const params = rnn.parameters();
    run = () => {
      const tape = gradientTape((ctx) => tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(rnn.apply(x, ctx))))), {
        params,
        taps: 'norms',
      });
      const n = tape.tapStats.filter((s) => /^h\.\d+$/.test(s.name)).length;
      tape.dispose();
      if (n !== size) throw new Error(`rnn ${size}: ${n} step taps`);
      return n;
    };
    dispose = () => tf.dispose([x, rnn]);
    parameters = 64 * 64 + 16 * 64 + 64;
  } else if (kind === 'hessian') {
    const mlp = plainMLP({
      depth: 2,
      width: size,
      inputSize: 32,
      outputSize: 10,
      activation: 'tanh',
      seed: 0,
    });
    const x = tf.randomNormal([128, 32], 0, 1, 'float32', 11);
    const labels = tf.tidy(() => tf.oneHot(tf.randomUniform([128], 0, 10, 'int32', 12), 10).toFloat());
    const lossFn = () => tf.tidy(() => softmaxCrossEntropy(labels, mlp.apply(x)));
    run = () => {
      const r = hessianEigenvalues(lossFn, mlp, {
        k: 1,
        method: 'power',
        maxIter: 20,
        tol: 1e-300,
        extremes: false,
        mode: 'exact',
        seed: 0,
      });
      if (r.iterations[0] !== 20) throw new Error(`hessian ${size}: ${r.iterations[0]} products`);
      return r.eigenvalues[0];
    };
    dispose = () => tf.dispose([x, labels, mlp]);
    parameters = hessianParams(size);
  } else {
    throw new Error(`--point: unknown kind ${kind} (depth, rnn, hessian)`);
  }
  const baseRss = process.memoryUsage().rss;
  run(); // warm-up
  const samples = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    run();
    samples.push((performance.now() - t0) / 1000);
  }
  const peakRss = process.resourceUsage().maxRSS * 1024; // KiB; before the profiled run
  const prof = await tf.profile(() => {
    run();
  });
  dispose();
  const leaked = tf.memory().numTensors - before;
  return {
    engine: `${info.name} (${info.threads} thread(s))`,
    parameters,
    seconds: median(samples),
    samples,
    peakRssMiB: mib(peakRss),
    baseRssMiB: mib(baseRss),
    tfPeakMiB: mib(prof.peakBytes),
    ...(leaked !== 0 ? { leakedTensors: leaked } : {}),
  };
}

/** The Vega-Lite spec: time and peak RSS against size, log-log, gflow beside PyTorch. */
function spec(rows, threads) {
  const data = rows.flatMap((r) => [
    {
      kind: LABEL[r.kind],
      x: r.x,
      who: 'gflow (wasm)',
      seconds: Math.min(...r.gflow.samples),
      mib: r.gflow.peakRssMiB,
      added: Math.max(r.gflow.peakRssMiB - r.gflow.baseRssMiB, 0.1),
    },
    {
      kind: LABEL[r.kind],
      x: r.x,
      who: 'PyTorch',
      seconds: Math.min(...r.peer.samples),
      mib: r.peer.peakRssMiB,
      added: Math.max(r.peer.peakRssMiB - r.peer.baseRssMiB, 0.1),
    },
  ]);
  const kinds = [...new Set(rows.map((r) => r.kind))];
  const chart = (kind, field, title) => ({
    title: { text: `${title}`, subtitle: LABEL[kind], fontSize: 12 },
    width: 230,
    height: 180,
    transform: [{ filter: { field: 'kind', equal: LABEL[kind] } }],
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', scale: { type: 'log' }, title: null },
      y: {
        field,
        type: 'quantitative',
        scale: { type: 'log' },
        title: { seconds: 'seconds (fastest run)', mib: 'peak RSS, MiB', added: 'peak − RSS before, MiB' }[
          field
        ],
      },
      color: { field: 'who', type: 'nominal', title: null },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `How cost grows: gflow (wasm, threads ${threads}) against PyTorch (2 threads), one process per point, log-log`,
    data: { values: data },
    vconcat: [
      { hconcat: kinds.map((k) => chart(k, 'seconds', 'time')) },
      { hconcat: kinds.map((k) => chart(k, 'mib', 'peak memory (process)')) },
      { hconcat: kinds.map((k) => chart(k, 'added', 'memory the work added')) },
    ],
    config: { legend: { orient: 'bottom' } },
  };
}

async function render(rows, file, threads) {
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const view = new vega.View(vega.parse(vl.compile(spec(rows, threads)).spec), { renderer: 'none' });
  writeFileSync(file, await view.toSVG());
  view.finalize();
}

function table(rows) {
  const lines = [
    '| workload | size | parameters | gflow s median (fastest) | PyTorch s median (fastest) | ratio of medians (fastest) | gflow peak RSS MiB (added) | tfjs peak MiB | PyTorch peak RSS MiB (added) | runs |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const g = r.gflow;
    const p = r.peer;
    const gMin = Math.min(...g.samples);
    const pMin = Math.min(...p.samples);
    const added = (x) => `${x.peakRssMiB.toFixed(0)} (${(x.peakRssMiB - x.baseRssMiB).toFixed(0)})`;
    lines.push(
      `| ${r.kind} | ${r.size} | ${g.parameters} | ${g.seconds.toFixed(3)} (${gMin.toFixed(3)}) | ${p.seconds.toFixed(3)} (${pMin.toFixed(3)}) | ${(g.seconds / p.seconds).toFixed(2)} (${(gMin / pMin).toFixed(2)}) | ${added(g)} | ${g.tfPeakMiB.toFixed(1)} | ${added(p)} | ${g.samples.length} |`,
    );
  }
  return lines.join('\n');
}

async function main() {
  if (opts.point) {
    const r = await point(opts.point, Number(opts.repeats ?? 3));
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  if (opts.render) {
    const saved = JSON.parse(readFileSync(opts.render, 'utf8'));
    await render(saved.rows, opts.svg ?? opts.render.replace(/\.json$/, '.svg'), saved.wasmThreads ?? 'auto');
    console.log(table(saved.rows));
    return;
  }
  const kinds = (opts.only ?? 'depth,rnn,hessian').split(',').filter(Boolean);
  const repeats = Number(opts.repeats ?? 3);
  const repeatsLargest = Number(opts['repeats-largest'] ?? 1);
  const stamp = new Date()
    .toISOString()
    .slice(0, 16)
    .replace(/[-:T]/g, (c) => (c === 'T' ? '-' : c === ':' ? '' : c));
  const out = opts.out ?? join(here, '..', 'results', `scaling-${stamp}.json`);
  const svg = opts.svg ?? out.replace(/\.json$/, '.svg');
  const loadStart = os.loadavg().map((x) => +x.toFixed(2));
  const startedAt = new Date().toISOString();
  const rows = [];
  const peerScript = join(here, '..', 'peer', 'torch_peer.py');
  for (const kind of kinds) {
    const sizes = SIZES[kind];
    if (!sizes) throw new Error(`--only: unknown kind ${kind}`);
    for (const size of sizes) {
      const n = size === sizes[sizes.length - 1] ? repeatsLargest : repeats;
      const g = spawnSync(
        process.execPath,
        [
          fileURLToPath(import.meta.url),
          '--point',
          `${kind}:${size}`,
          '--repeats',
          String(n),
          ...(opts['wasm-threads'] ? ['--wasm-threads', opts['wasm-threads']] : []),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      if (g.status !== 0) throw new Error(`gflow ${kind}:${size} failed (${g.status})`);
      const p = spawnSync(
        '/usr/bin/python3',
        [peerScript, '--scaling', `${kind}:${size}`, '--repeats', String(n)],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      if (p.status !== 0) throw new Error(`peer ${kind}:${size} failed (${p.status})`);
      const gflow = JSON.parse(g.stdout);
      const peer = JSON.parse(p.stdout);
      const x = kind === 'hessian' ? gflow.parameters : size;
      rows.push({ kind, size, x, gflow, peer });
      console.error(
        `${kind} ${size}: gflow ${gflow.seconds.toFixed(3)} s ${gflow.peakRssMiB} MiB, ` +
          `PyTorch ${peer.seconds.toFixed(3)} s ${peer.peakRssMiB} MiB (${n} repeats)`,
      );
    }
  }
  const saved = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
      loadAverageStart: loadStart,
      loadAverageEnd: os.loadavg().map((v) => +v.toFixed(2)),
      node: process.version,
    },
    wasmThreads: opts['wasm-threads'] ?? 'auto',
    protocol: `one process per point, gflow then PyTorch per size; median of ${repeats} timed runs after a warm-up, ${repeatsLargest} at each largest size`,
    rows,
  };
  writeFileSync(out, `${JSON.stringify(saved, null, 1)}\n`);
  await render(rows, svg, saved.wasmThreads);
  console.log(table(rows));
  console.error(`wrote ${out} and ${svg}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(2);
});
