import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GflowIOError } from '@gflow/core';
import { afterAll, describe, expect, it } from 'vitest';
import { repairLastLine } from './results-file.js';
import { cellKey, gridCells, readFinished, runSweep, type SweepCell, type SweepLine } from './sweep.js';

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
    // A kill can cut the last line short: the next run removes it (with a note) before resuming.
    const fragment = '{"key":"arch=plain-mlp|dep';
    appendFileSync(out, fragment);
    const callsBefore = readFileSync(calls, 'utf8').trim().split('\n').length;

    const notes: string[] = [];
    const second = await runSweep({
      cells,
      out,
      workers: 2,
      engine: 'cpu',
      workerFile: worker,
      quiet: true,
      note: (m) => notes.push(m),
    });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/last line of .* was cut short .* removed that incomplete line \((\d+) bytes\)/);
    expect(/\((\d+) bytes\)/.exec(notes[0] ?? '')?.[1]).toBe(String(fragment.length)); // ASCII: 1 byte a character
    for (const l of readFileSync(out, 'utf8').split('\n').slice(0, -1))
      expect(() => JSON.parse(l)).not.toThrow();
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

const allCells = (): SweepCell[] =>
  gridCells({ ...grid, archs: [...grid.archs], activations: [...grid.activations], inits: [...grid.inits] });

/** A stand-in worker like the one above, with its own call log and no failing cell. */
function countingWorker(name: string): { file: string; log: string; keys: () => string[] } {
  const file = join(dir, `${name}.mjs`);
  const log = join(dir, `${name}.log`);
  writeFileSync(
    file,
    `import { appendFileSync } from 'node:fs';
export default async function ({ cell }) {
  appendFileSync(${JSON.stringify(log)}, JSON.stringify(cell) + '\\n');
  await new Promise((r) => setTimeout(r, 20));
  return { product: cell.depth * (cell.seed + 1) };
}
`,
  );
  const keys = (): string[] =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => cellKey(JSON.parse(l)))
      : [];
  return { file, log, keys };
}

const resultLines = (out: string): SweepLine[] =>
  readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as SweepLine);

describe('sweep results file', () => {
  it('two sweeps started together on one file: one runs, the other refuses at once; no cell is measured twice', async () => {
    const cells = allCells();
    const out = join(dir, 'together.jsonl');
    const w = countingWorker('together');
    const run = () => runSweep({ cells, out, workers: 2, engine: 'cpu', workerFile: w.file, quiet: true });
    const [a, b] = await Promise.allSettled([run(), run()]);
    const results = [a, b];
    const refused = results.filter((r) => r.status === 'rejected');
    const done = results.filter((r) => r.status === 'fulfilled');
    expect(refused).toHaveLength(1);
    expect(done).toHaveLength(1);
    const err = (refused[0] as PromiseRejectedResult).reason as GflowIOError;
    expect(err).toBeInstanceOf(GflowIOError);
    expect(err.code).toBe('IO_ERROR');
    expect(err.message).toMatch(
      /together\.jsonl is in use by another gflow sweep .* stops without measuring anything/,
    );
    expect((done[0] as PromiseFulfilledResult<unknown>).value).toMatchObject({ ran: 16, skipped: 0 });
    const measured = w.keys();
    expect(measured).toHaveLength(16);
    expect(new Set(measured).size).toBe(16);
    expect(
      resultLines(out)
        .map((l) => l.key)
        .sort(),
    ).toEqual(cells.map(cellKey).sort());
    // The lock is released at the end: a later run takes it and has nothing to do.
    expect(existsSync(`${out}.lock`)).toBe(false);
    const again = await runSweep({ cells, out, workers: 2, engine: 'cpu', workerFile: w.file, quiet: true });
    expect(again).toMatchObject({ ran: 0, skipped: 16 });
    expect(w.keys()).toHaveLength(16);
  });

  it('a sweep started while another is half way refuses, and the first one finishes every cell once', async () => {
    const cells = allCells();
    const out = join(dir, 'midway.jsonl');
    const w = countingWorker('midway');
    let second: Promise<unknown> | undefined;
    const first = await runSweep({
      cells,
      out,
      workers: 2,
      engine: 'cpu',
      workerFile: w.file,
      quiet: true,
      onLine: () => {
        second ??= runSweep({ cells, out, workers: 2, engine: 'cpu', workerFile: w.file, quiet: true }).catch(
          (e: unknown) => e,
        );
      },
    });
    const err = await second;
    expect(err).toBeInstanceOf(GflowIOError);
    expect(first).toMatchObject({ ran: 16, skipped: 0, failed: 0, aborted: false });
    expect(w.keys()).toHaveLength(16);
    expect(new Set(w.keys()).size).toBe(16);
    expect(resultLines(out)).toHaveLength(16);
  });

  it('refuses while another process holds the lock', async () => {
    const out = join(dir, 'other-process.jsonl');
    writeFileSync(out, '');
    // The other process takes the lock the way a running sweep does (proper-lockfile on the
    // file's real path) and holds it until killed.
    const lockLib = createRequire(import.meta.url).resolve('proper-lockfile');
    const child = spawn(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(lockLib)}).lock(require('node:fs').realpathSync(${JSON.stringify(out)}), { realpath: false }).then(() => { console.log('locked'); setInterval(() => {}, 1000); });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((res, rej) => {
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('locked')) res();
        });
        child.once('exit', (code) => rej(new Error(`lock holder exited early (${code})`)));
      });
      const w = countingWorker('other-process');
      const err = await runSweep({
        cells: allCells(),
        out,
        workers: 2,
        engine: 'cpu',
        workerFile: w.file,
        quiet: true,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GflowIOError);
      expect((err as Error).message).toMatch(/in use by another gflow sweep/);
      expect(w.keys()).toHaveLength(0);
      expect(readFileSync(out, 'utf8')).toBe('');
    } finally {
      child.kill();
    }
  });

  it('a torn last line is truncated away (every complete line kept byte for byte) and its cell runs again', async () => {
    const cells = allCells();
    const out = join(dir, 'torn.jsonl');
    const w = countingWorker('torn');
    const line = (c: SweepCell): string =>
      JSON.stringify({ key: cellKey(c), cell: c, ok: true, result: { product: -1 }, seconds: 0 });
    const kept = `${line(cells[0] as SweepCell)}\n${line(cells[1] as SweepCell)}\n`;
    const torn = line(cells[2] as SweepCell).slice(0, 50);
    writeFileSync(out, kept + torn);
    const notes: string[] = [];
    const s = await runSweep({
      cells,
      out,
      workers: 2,
      engine: 'cpu',
      workerFile: w.file,
      quiet: true,
      note: (m) => notes.push(m),
    });
    expect(notes).toEqual([
      `sweep: the last line of ${out} was cut short (a killed sweep?); removed that incomplete line (50 bytes), so the file is valid JSON lines again, and its cell runs again.`,
    ]);
    expect(s).toMatchObject({ ran: 14, skipped: 2, failed: 0 });
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith(kept)).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    const lines = resultLines(out); // every line parses
    expect(lines).toHaveLength(16);
    expect(new Set(lines.map((l) => l.key)).size).toBe(16);
    expect(w.keys()).toContain(cellKey(cells[2] as SweepCell));
    expect(w.keys()).not.toContain(cellKey(cells[0] as SweepCell));
  });

  it('repairLastLine: a whole last line without its newline gets one; a clean file is left alone', () => {
    const f = join(dir, 'repair.jsonl');
    writeFileSync(f, '{"a":1}\n{"b":2}');
    expect(repairLastLine(f)).toEqual({ kind: 'newline-added' });
    expect(readFileSync(f, 'utf8')).toBe('{"a":1}\n{"b":2}\n');
    expect(repairLastLine(f)).toEqual({ kind: 'none' });
    writeFileSync(f, '{"a":1');
    expect(repairLastLine(f)).toEqual({ kind: 'truncated', removedBytes: 6 });
    expect(readFileSync(f, 'utf8')).toBe('');
  });

  it('runs many more cells than workers without a MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      const cells = gridCells({
        ...grid,
        archs: [...grid.archs],
        activations: [...grid.activations],
        inits: [...grid.inits],
        seeds: [0, 1, 2, 3, 4, 5],
      });
      expect(cells.length).toBeGreaterThan(10); // more than Node's default of 10 listeners
      const w = countingWorker('listeners');
      const s = await runSweep({
        cells,
        out: join(dir, 'listeners.jsonl'),
        workers: 2,
        engine: 'cpu',
        workerFile: w.file,
        quiet: true,
      });
      expect(s.ran).toBe(cells.length);
      await new Promise((r) => setImmediate(r)); // warnings are emitted on a later tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
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
