#!/usr/bin/env node
// The benchmark protocol as one command: N alternating rounds in one window, each round the
// PyTorch peer then gflow (each workload in a fresh process on both sides), the machine's load
// sampled every 10 s throughout, then the medians table (each cell the median over the rounds of
// each run's median; the ratio divides the two medians) with every round's own ratio, and the
// monitored-over-unmonitored overhead. Writes every run and the load log to one JSON file, the
// layout of bench/results/*.json.
//
// Usage (after `npx -y pnpm@10 build`, from the repository root):
//   node bench/scripts/rounds.mjs --rounds 3 --out bench/results/DATE.json [--only a,b] [--tag f]
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs, promisify } from 'node:util';

const TARGETS = {
  'conv-plain-30': 3,
  'conv-residual-30': 3,
  'mlp-hessian-top': 1.5,
  'rnn-lag-256': 1,
  'mlp-train-50': 1,
  spectral: 1.5,
};
const OVERHEAD_TARGET = 1.05;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    out: { type: 'string' },
    only: { type: 'string' },
    tag: { type: 'string', default: 'r' },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`rounds.mjs: --rounds must be a positive integer, got ${values.rounds}`);
  process.exit(2);
}
const only = values.only ? ['--only', values.only] : [];
const tag = values.tag;

const load = [];
const sample = () => {
  const [a, b, c] = loadavg();
  load.push(`${new Date().toISOString().slice(11, 19)} ${a.toFixed(2)} ${b.toFixed(2)} ${c.toFixed(2)}`);
};
sample();
const timer = setInterval(sample, 10_000);

const runs = {};
// Asynchronous, so that the load sampler's timer runs while each benchmark does.
const run = promisify(execFile);
const opts = { encoding: 'utf8', maxBuffer: 64 << 20 };
for (let r = 1; r <= rounds; r++) {
  console.error(`round ${r}/${rounds}: peer`);
  runs[`${tag}${r}-torch`] = JSON.parse(
    (await run(values.python, ['bench/peer/torch_peer.py', ...only], opts)).stdout,
  );
  console.error(`round ${r}/${rounds}: gflow`);
  await run('node', ['bench/dist/run.js', ...only, '--out', '/tmp/gflow-round.json'], opts);
  runs[`${tag}${r}-gflow-auto`] = JSON.parse(readFileSync('/tmp/gflow-round.json', 'utf8'));
}
clearInterval(timer);
sample();
runs[`${tag}-load`] = load;

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const per = (side) =>
  Array.from({ length: rounds }, (_, i) => runs[`${tag}${i + 1}-${side}`].workloads ?? {});
const ours = per('gflow-auto');
const peer = per('torch');
const names = Object.keys(peer[0]);
const lines = [
  `default engine                     gflow s   peer s   ratio   target   per round           gflow / peer peak RSS MiB`,
];
for (const name of names) {
  const g = ours.map((w) => w[name]?.seconds);
  const p = peer.map((w) => w[name]?.seconds);
  if (g.some((x) => x === undefined)) continue;
  const gm = median(g);
  const pm = median(p);
  const rss = `${median(ours.map((w) => w[name].peakRssMiB)).toFixed(0)} / ${median(peer.map((w) => w[name].peakRssMiB)).toFixed(0)}`;
  lines.push(
    name.padEnd(33) +
      gm.toFixed(3).padStart(9) +
      pm.toFixed(3).padStart(9) +
      (gm / pm).toFixed(2).padStart(8) +
      (TARGETS[name] ? `<= ${TARGETS[name].toFixed(1)}` : '').padStart(9) +
      '   ' +
      g
        .map((x, i) => (x / p[i]).toFixed(2))
        .join(', ')
        .padEnd(20) +
      rss,
  );
}
const mon = ours.map((w) => w['mlp-train-50-monitored']?.seconds / w['mlp-train-50']?.seconds);
if (mon.every(Number.isFinite)) {
  const m =
    median(ours.map((w) => w['mlp-train-50-monitored'].seconds)) /
    median(ours.map((w) => w['mlp-train-50'].seconds));
  lines.push(
    'monitored / own unmonitored'.padEnd(33) +
      ''.padStart(26) +
      m.toFixed(3).padStart(8) +
      `<= ${OVERHEAD_TARGET}`.padStart(9) +
      '   ' +
      mon.map((x) => x.toFixed(2)).join(', '),
  );
}
const table = lines.join('\n');
console.log(table);
if (values.out) {
  writeFileSync(
    values.out,
    `${JSON.stringify({ protocol: 'bench/scripts/rounds.mjs', table, runs }, null, 1)}\n`,
  );
  console.error(`wrote ${values.out}`);
}
