import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cellKey, gridCells, readFinished, runSweep, type SweepLine } from './sweep.js';

const dir = mkdtempSync(join(tmpdir(), 'gflow-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A stand-in worker (plain JS, so the pool runs without a build): it returns depth × seed and
// records every call in a log file, so the test can tell which cells really ran.
const worker = join(dir, 'worker.mjs');
const calls = join(dir, 'calls.log');
writeFileSync(
  worker,
  `import { appendFileSync } from 'node:fs';
export default async function ({ cell }) {
  appendFileSync(${JSON.stringify(calls)}, JSON.stringify(cell) + '\\n');
  await new Promise((r) => setTimeout(r, 20));
  if (cell.activation === 'tanh' && cell.depth === 3 && cell.seed === 1) throw new Error('boom');
  return { product: cell.depth * (cell.seed + 1) };
}
`,
);

const grid = {
  archs: ['plain-mlp', 'residual-mlp'] as const,
  depths: [2, 3],
  activations: ['relu', 'tanh'] as const,
  inits: ['he'] as const,
  seeds: [0, 1],
  width: 8,
  norm: 'none' as const,
};

describe('sweep grid', () => {
  it('enumerates the cartesian product with unique keys', () => {
    const cells = gridCells({
      ...grid,
      archs: [...grid.archs],
      activations: [...grid.activations],
      inits: [...grid.inits],
    });
    // 2 archs × 2 depths × 2 activations × 1 init × 2 seeds = 16
    expect(cells).toHaveLength(16);
    expect(new Set(cells.map(cellKey)).size).toBe(16);
    expect(cellKey(cells[0]!)).toBe(
      'arch=plain-mlp|depth=2|activation=relu|init=he|norm=none|width=8|seed=0',
    );
  });

  it('resumes after an interruption: finished cells are not run again', async () => {
    const cells = gridCells({
      ...grid,
      archs: [...grid.archs],
      activations: [...grid.activations],
      inits: [...grid.inits],
    });
    const out = join(dir, 'results.jsonl');
    const controller = new AbortController();
    let seen = 0;
    const first = await runSweep({
      cells,
      out,
      workers: 2,
      engine: 'cpu',
      workerFile: worker,
      quiet: true,
      signal: controller.signal,
      onLine: () => {
        seen += 1;
        if (seen === 5) controller.abort();
      },
    });
    expect(first.aborted).toBe(true);
    const afterFirst = readFinished(out);
    expect(afterFirst.size).toBeGreaterThanOrEqual(4); // 5 lines, at most one of them the failing cell
    expect(afterFirst.size).toBeLessThan(16);
    // A kill can cut the last line short: the reader must skip it.
    appendFileSync(out, '{"key":"arch=plain-mlp|dep');
    const callsBefore = readFileSync(calls, 'utf8').trim().split('\n').length;

    const second = await runSweep({ cells, out, workers: 2, engine: 'cpu', workerFile: worker, quiet: true });
    expect(second.aborted).toBe(false);
    expect(second.skipped).toBe(afterFirst.size);
    expect(second.ran).toBe(16 - afterFirst.size);
    expect(second.failed).toBe(2); // tanh, depth 3, seed 1, in both architectures
    const ranSecond = readFileSync(calls, 'utf8')
      .trim()
      .split('\n')
      .slice(callsBefore)
      .map((l) => cellKey(JSON.parse(l)));
    for (const k of ranSecond) expect(afterFirst.has(k)).toBe(false);

    const finished = readFinished(out);
    expect(finished.size).toBe(14);
    const line = finished.get(
      cellKey({
        arch: 'residual-mlp',
        depth: 3,
        activation: 'relu',
        init: 'he',
        seed: 1,
        width: 8,
        norm: 'none',
      }),
    ) as Extract<SweepLine, { ok: true }>;
    expect(line.result).toEqual({ product: 6 });

    // A third run only retries the two failures.
    const third = await runSweep({ cells, out, workers: 2, engine: 'cpu', workerFile: worker, quiet: true });
    expect(third).toMatchObject({ ran: 2, skipped: 14, failed: 2 });
  });
});

describe('sweep worker', () => {
  it('measures one cell in-process: a gradient norm per block, no leaked tensors', async () => {
    const { default: measureCell } = await import('./sweep-worker.js');
    const tf = await import('@tensorflow/tfjs');
    const cell = {
      arch: 'residual-mlp',
      depth: 4,
      activation: 'tanh',
      init: 'xavier',
      seed: 3,
      width: 8,
      norm: 'none',
    } as const;
    await measureCell({ cell, engine: 'cpu' }); // starts the engine
    const before = tf.memory().numTensors;
    const r = await measureCell({ cell, engine: 'cpu' });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.engine).toBe('cpu');
    expect(r.blockGradNorms).toHaveLength(4);
    expect(r.firstOverLast).toBeCloseTo(
      (r.blockGradNorms[0] as number) / (r.blockGradNorms[3] as number),
      12,
    );
    expect(r.globalNorm).toBeGreaterThan(0);
    expect(Object.keys(r.diagnosis).every((k) => /^(info|warning|error):/.test(k))).toBe(true);
  });
});

describe('sweep summary table', () => {
  it('shows the median over seeds of first/last per architecture × activation × init and depth', async () => {
    const { sweepTable } = await import('./sweep-command.js');
    const cells = gridCells({
      archs: ['plain-mlp'],
      depths: [2, 4],
      activations: ['relu'],
      inits: ['he'],
      seeds: [0, 1, 2],
      width: 8,
      norm: 'none',
    });
    const out = join(dir, 'table.jsonl');
    // depth 2: seeds give 1, 3, 2 → median 2; depth 4: only two seeds finished, 10 and 20 → 15.
    const values: Record<string, number> = { '2|0': 1, '2|1': 3, '2|2': 2, '4|0': 10, '4|1': 20 };
    const lines = cells
      .filter((c) => values[`${c.depth}|${c.seed}`] !== undefined)
      .map((c) =>
        JSON.stringify({
          key: cellKey(c),
          cell: c,
          ok: true,
          result: { firstOverLast: values[`${c.depth}|${c.seed}`] },
          seconds: 0,
        }),
      );
    writeFileSync(out, `${lines.join('\n')}\n`);
    const table = sweepTable(cells, out);
    expect(table[1]).toMatch(/depth 2\s+depth 4/);
    expect(table[2]).toMatch(/^plain-mlp relu he\s+2\s+15$/);
  });
});
