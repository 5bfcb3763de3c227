import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gflow/backend';
import { GflowIOError, InvalidArgumentError } from '@gflow/core';
import { nonFiniteReviver } from '@gflow/diagnostics';
import { plainMLP } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberList } from '../grid-values.js';
import { cellKey, gridCells, type SweepCell, type SweepLine } from '../sweep.js';
import { phaseTable } from '../sweep-command.js';
import { type BundledCli, bundleCli } from '../test-utils/bundle-cli.js';
import { freePort, redisAvailable, startTestRedis, type TestRedis } from '../test-utils/redis-server.js';
import { applyVariances } from '../variance-init.js';
import { jobIdOf, queueStatus, runQueueSweep } from './queue-sweep.js';
import { runQueueWorker } from './queue-worker.js';
import { PASSWORD_ENV, parseRedisUrl, probeRedis } from './redis.js';

const dir = mkdtempSync(join(tmpdir(), 'gflow-queue-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('redis addresses', () => {
  it('parses host, port and database; the password comes from the environment only', () => {
    const t = parseRedisUrl('f', 'redis://10.0.0.5:6380/3', { [PASSWORD_ENV]: 's3cret' });
    expect(t.connection).toEqual({ host: '10.0.0.5', port: 6380, db: 3, password: 's3cret' });
    expect(t.display).toBe('redis://10.0.0.5:6380/3');
    expect(t.display).not.toContain('s3cret');
    expect(parseRedisUrl('f', 'redis://h', {}).connection).toEqual({ host: 'h', port: 6379, db: 0 });
    expect(parseRedisUrl('f', 'rediss://u@h:1/0', {}).connection).toEqual({
      host: 'h',
      port: 1,
      db: 0,
      username: 'u',
      tls: {},
    });
  });

  it('refuses a password on the command line without printing it, and malformed addresses', () => {
    let err: unknown;
    try {
      parseRedisUrl('gflow sweep --queue', 'redis://:hunter2@h:6379/0', {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(
      /carries a password; put the password in the GFLOW_REDIS_PASSWORD/,
    );
    expect((err as Error).message).not.toContain('hunter2');
    expect(() => parseRedisUrl('f', 'http://h:1/0')).toThrow(/must start with redis:\/\//);
    expect(() => parseRedisUrl('f', 'not a url')).toThrow(/not an address/);
    expect(() => parseRedisUrl('f', 'redis://h:1/x')).toThrow(/database .* must be a number/);
  });

  it('a Redis that is not there is one clear error naming the address, in well under the 5 s timeout', async () => {
    const port = await freePort(); // nothing listens there
    const t0 = Date.now();
    const err = await probeRedis('gflow worker', parseRedisUrl('f', `redis://127.0.0.1:${port}/0`, {})).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GflowIOError);
    expect((err as Error).message).toMatch(
      new RegExp(`^gflow worker: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}/0: .*ECONNREFUSED`),
    );
    expect(Date.now() - t0).toBeLessThan(5000); // refused at once, not after retries (not a speed claim)
  });
});

describe('grid values', () => {
  it('lists, ranges with steps, and both, without floating-point debris', () => {
    const p = numberList('--weight-variances', { min: 0, max: 100 });
    expect(p('1..3:0.5')).toEqual([1, 1.5, 2, 2.5, 3]);
    expect(p('0..1:0.1')).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(p('0.5, 2, 1..2:0.5')).toEqual([0.5, 2, 1, 1.5]); // duplicates dropped, order kept
    expect(p('1..2:0.3')).toEqual([1, 1.3, 1.6, 1.9]); // stops before passing b
    expect(numberList('--depths', { min: 1, max: 1000, integer: true })('10..50:20')).toEqual([10, 30, 50]);
  });

  it('refuses what is not a range of allowed values, naming the flag', () => {
    const p = numberList('--bias-variances', { min: 0, max: 100 });
    expect(() => p('-1')).toThrow(
      /--bias-variances: -1 in "-1" is out of range; it takes numbers from 0 to 100/,
    );
    expect(() => p('3..1')).toThrow(/must be ascending/);
    expect(() => p('1..2:0')).toThrow(/step of "1..2:0" must be a positive number/);
    expect(() => p('abc')).toThrow(/"abc" in "abc" is not a number/);
    expect(() => p('0..100:1e-6')).toThrow(/more than 10000/);
    expect(() => numberList('--depths', { min: 1, max: 1000, integer: true })('1.5')).toThrow(
      /integers from 1 to 1000/,
    );
  });

  it('crosses σ_w², σ_b² and branch scales into the grid; cells without them keep their old keys', () => {
    const base = {
      archs: ['residual-mlp'] as const,
      depths: [4],
      activations: ['tanh'] as const,
      inits: ['xavier'] as const,
      seeds: [0, 1],
      width: 8,
      norm: 'none' as const,
    };
    const plain = gridCells({
      ...base,
      archs: [...base.archs],
      activations: [...base.activations],
      inits: [...base.inits],
    });
    expect(plain.map(cellKey)).toEqual([
      'arch=residual-mlp|depth=4|activation=tanh|init=xavier|norm=none|width=8|seed=0',
      'arch=residual-mlp|depth=4|activation=tanh|init=xavier|norm=none|width=8|seed=1',
    ]);
    const swept = gridCells({
      ...base,
      archs: [...base.archs],
      activations: [...base.activations],
      inits: [...base.inits],
      weightVariances: [1, 2],
      biasVariances: [0, 0.05],
      branchScales: [0.5],
    });
    expect(swept).toHaveLength(2 * 2 * 1 * 2);
    expect(new Set(swept.map(cellKey)).size).toBe(8);
    expect(cellKey(swept[0] as SweepCell)).toBe(
      'arch=residual-mlp|depth=4|activation=tanh|init=xavier|norm=none|width=8|sw2=1|sb2=0|bs=0.5|seed=0',
    );
  });
});

describe('mean-field initialization of a cell', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'cpu' });
  });

  it('draws block kernels from N(0, σ_w²/fan-in) and biases from N(0, σ_b²), leaving the readout alone', () => {
    const before = tf.memory().numTensors;
    const model = plainMLP({
      depth: 3,
      width: 256,
      inputSize: 16,
      outputSize: 10,
      activation: 'tanh',
      seed: 3,
    });
    try {
      const readout = model.parameters().find((p) => p.name === 'readout.kernel');
      const readoutBefore = readout?.variable.dataSync().slice();
      expect(applyVariances(model, { weightVariance: 1.5, biasVariance: 0.5, seed: 7 })).toEqual({
        kernels: 3,
        biases: 3,
      });
      const variance = (xs: Float32Array): number => {
        let m = 0;
        for (const x of xs) m += x;
        m /= xs.length;
        let v = 0;
        for (const x of xs) v += (x - m) ** 2;
        return v / xs.length;
      };
      // 65,536 draws: the sample variance's relative standard error is √(2/n) ≈ 0.55%; allow 3%.
      const k1 = model.parameters().find((p) => p.name === 'blocks.1.dense.kernel');
      expect(Math.abs(variance(k1?.variable.dataSync() as Float32Array) / (1.5 / 256) - 1)).toBeLessThan(
        0.03,
      );
      // The first block reads 16 inputs: fan-in 16 (4,096 draws, SE 2.2%; allow 10%).
      const k0 = model.parameters().find((p) => p.name === 'blocks.0.dense.kernel');
      expect(Math.abs(variance(k0?.variable.dataSync() as Float32Array) / (1.5 / 16) - 1)).toBeLessThan(0.1);
      // Biases, pooled over the three blocks: 768 draws, SE 5.1%; allow 20%.
      const biases = model.parameters().filter((p) => p.name.startsWith('blocks.') && p.role === 'bias');
      const pooled = Float32Array.from(biases.flatMap((b) => [...b.variable.dataSync()]));
      expect(pooled.length).toBe(768);
      expect(Math.abs(variance(pooled) / 0.5 - 1)).toBeLessThan(0.2);
      expect([...(readout?.variable.dataSync() ?? [])]).toEqual([...(readoutBefore ?? [])]);
      // σ_b² = 0 means zero biases; no σ_w² means no change.
      applyVariances(model, { weightVariance: 1, seed: 7 });
      for (const b of biases) expect(b.variable.dataSync().every((x) => x === 0)).toBe(true);
      expect(applyVariances(model, { seed: 7 })).toEqual({ kernels: 0, biases: 0 });
    } finally {
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the phase table puts the measured crossing of r = 1 beside the mean-field critical σ_w²', () => {
    const cells = gridCells({
      archs: ['plain-mlp'],
      depths: [11],
      activations: ['tanh'],
      inits: ['xavier'],
      seeds: [0],
      width: 8,
      norm: 'none',
      weightVariances: [0.5, 1.5],
      biasVariances: [0],
    });
    // Hand-made results: per-layer factors 0.8 and 1.2 (ratio r^(L−1) over 10 layers), so the
    // crossing, linear in σ_w² on log r, is at 0.5 + 1·ln(1/0.8)/ln(1.2/0.8) = 1.0503.
    const out = join(dir, 'phase.jsonl');
    const line = (c: SweepCell, r: number): string =>
      JSON.stringify({ key: cellKey(c), cell: c, ok: true, result: { firstOverLast: r ** 10 }, seconds: 0 });
    writeFileSync(out, `${line(cells[0] as SweepCell, 0.8)}\n${line(cells[1] as SweepCell, 1.2)}\n`);
    const text = phaseTable(cells, out).join('\n');
    const expected = 0.5 + Math.log(1 / 0.8) / Math.log(1.2 / 0.8);
    expect(expected).toBeCloseTo(1.0503, 4);
    expect(text).toMatch(/phase diagram, plain-mlp tanh depth 11/);
    // tanh with σ_b² = 0 is critical at σ_w² = 1 exactly (χ₁ = σ_w² φ'(0)² at q* = 0).
    expect(text).toMatch(/^0\s+0\.8\s+1\.2\s+1\.05\s+1$/m);
  });
});

/** Lines of a results file, parsed. */
function linesOf(file: string): SweepLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l, nonFiniteReviver) as SweepLine);
}

/** Starts a `gflow` process; `output()` is what it printed so far. */
function gflow(
  cli: string,
  args: string[],
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: '1' },
  });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, output: () => text, exited };
}

async function until(
  what: string,
  cond: () => boolean,
  output: () => string,
  timeoutMs = 120_000,
): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`timed out waiting for ${what}; it printed:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const haveRedis = redisAvailable();
if (!haveRedis)
  console.warn(
    'queue tests: no redis-server on the PATH and no GFLOW_TEST_REDIS_URL; skipped (.ci/run installs it)',
  );

describe.skipIf(!haveRedis)('sweeps through a real Redis', () => {
  let redis: TestRedis;
  let bundle: BundledCli;
  beforeAll(async () => {
    [redis, bundle] = await Promise.all([startTestRedis(), bundleCli()]);
  });
  afterAll(async () => {
    bundle?.dispose();
    await redis?.stop();
  });

  const grid = [
    '--archs',
    'plain-mlp,residual-mlp',
    '--depths',
    '3,6',
    '--activations',
    'tanh',
    '--inits',
    'xavier',
    '--seeds',
    '0..1',
    '--width',
    '8',
  ];

  it('two workers, one killed with SIGKILL mid-cell: every cell written exactly once, equal to the local sweep', async () => {
    const queueName = `e2e-${process.pid}`;
    const out = join(dir, 'queue.jsonl');
    const local = join(dir, 'local.jsonl');
    const coordinator = gflow(bundle.cli, [
      'sweep',
      ...grid,
      '--queue',
      redis.url,
      '--queue-name',
      queueName,
      '--out',
      out,
    ]);
    const common = [
      'worker',
      '--queue',
      redis.url,
      '--queue-name',
      queueName,
      '--workers',
      '1',
      '--engine',
      'cpu',
    ];
    const doomed = gflow(bundle.cli, [...common, '--stall-timeout', '2']);
    // Its first cell includes the engine's start, so "started" is well before "finished".
    await until(
      'the first worker to start a cell',
      () => /started cell/.test(doomed.output()),
      doomed.output,
    );
    const killedKey = /started cell (\S+)/.exec(doomed.output())?.[1] as string;
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    expect(doomed.output()).not.toMatch(/finished cell/);
    const survivor = gflow(bundle.cli, [...common, '--stall-timeout', '2']);
    try {
      expect(await coordinator.exited).toBe(0);
    } finally {
      survivor.child.kill('SIGTERM');
      await survivor.exited;
    }
    expect(coordinator.output()).toMatch(/8 cells enqueued, 8 results written \(0 failed\)/);

    const local1 = gflow(bundle.cli, ['sweep', ...grid, '--workers', '2', '--engine', 'cpu', '--out', local]);
    expect(await local1.exited).toBe(0);

    const q = linesOf(out);
    const l = linesOf(local);
    expect(q).toHaveLength(8);
    expect(new Set(q.map((x) => x.key)).size).toBe(8);
    expect(new Set(q.map((x) => x.key))).toEqual(new Set(l.map((x) => x.key)));
    // The killed worker's cell was measured again, by the survivor.
    const retried = q.find((x) => x.key === killedKey) as SweepLine & { worker?: string };
    expect(retried.ok).toBe(true);
    expect(retried.worker).toBe(/worker (\S+): taking cells/.exec(survivor.output())?.[1]);
    // Same numbers cell by cell: both ran on the cpu engine, so within float32 rounding (1e-6 relative).
    const byKey = new Map(l.map((x) => [x.key, x]));
    for (const x of q) {
      const y = byKey.get(x.key) as SweepLine;
      expect(x.ok && y.ok).toBe(true);
      if (!x.ok || !y.ok) continue;
      const a = x.result as { loss: number; globalNorm: number; blockGradNorms: number[] };
      const b = y.result as typeof a;
      expect(a.blockGradNorms).toHaveLength(b.blockGradNorms.length);
      for (const [i, v] of a.blockGradNorms.entries())
        expect(Math.abs(v - (b.blockGradNorms[i] as number))).toBeLessThanOrEqual(1e-6 * Math.abs(v));
      expect(Math.abs(a.loss - b.loss)).toBeLessThanOrEqual(1e-6 * Math.abs(a.loss));
      expect(Math.abs(a.globalNorm - b.globalNorm)).toBeLessThanOrEqual(1e-6 * a.globalNorm);
    }

    // A second coordinator on the same queue and grid enqueues nothing and collects the kept
    // results without any worker running; --status sees every cell done.
    const again = gflow(bundle.cli, [
      'sweep',
      ...grid,
      '--queue',
      redis.url,
      '--queue-name',
      queueName,
      '--out',
      join(dir, 'again.jsonl'),
    ]);
    expect(await again.exited).toBe(0);
    expect(again.output()).toMatch(/0 cells enqueued, 8 results written/);
    const status = gflow(bundle.cli, [
      'sweep',
      ...grid,
      '--queue',
      redis.url,
      '--queue-name',
      queueName,
      '--status',
    ]);
    expect(await status.exited).toBe(0);
    expect(status.output()).toMatch(/0 queued, 0 active, 8 done, 0 failed/);
  }, 300_000); // several processes each start an engine: minutes on a loaded 2-core machine

  it('a restarted coordinator writes only what is missing; a cell that fails every attempt is written once as failed', async () => {
    const target = parseRedisUrl('test', redis.url, {});
    const queueName = `restart-${process.pid}`;
    // A stand-in pool worker (plain JS): fails one cell, returns depth × (seed + 1) for the rest.
    const workerFile = join(dir, 'stand-in.mjs');
    writeFileSync(
      workerFile,
      `export default async function ({ cell }) {
  await new Promise((r) => setTimeout(r, 30));
  if (cell.depth === 3 && cell.seed === 1) throw new Error('boom at depth 3');
  return { product: cell.depth * (cell.seed + 1) };
}
`,
    );
    const cells = gridCells({
      archs: ['plain-mlp'],
      depths: [2, 3, 4],
      activations: ['relu'],
      inits: ['he'],
      seeds: [0, 1],
      width: 4,
      norm: 'none',
    });
    const out = join(dir, 'restart.jsonl');
    const stopWorker = new AbortController();
    const worker = runQueueWorker({
      target,
      queueName,
      workers: 2,
      engine: 'cpu',
      stallTimeout: 5,
      workerFile,
      signal: stopWorker.signal,
      log: () => {},
    });
    try {
      // First coordinator: stops after two results.
      const first = new AbortController();
      let seen = 0;
      const s1 = await runQueueSweep({
        cells,
        out,
        target,
        queueName,
        attempts: 2,
        quiet: true,
        signal: first.signal,
        reconcileMs: 200,
        onLine: () => {
          seen += 1;
          if (seen === 2) first.abort();
        },
      });
      expect(s1).toMatchObject({ enqueued: 6, aborted: true });
      expect(s1.collected).toBeGreaterThanOrEqual(2);
      const written1 = linesOf(out).map((x) => x.key);
      // Second: the same command; only the rest is written.
      const s2 = await runQueueSweep({
        cells,
        out,
        target,
        queueName,
        attempts: 2,
        quiet: true,
        reconcileMs: 200,
      });
      expect(s2).toMatchObject({ enqueued: 0, skipped: written1.length, aborted: false });
      expect(s2.collected).toBe(6 - written1.length);
      const all = linesOf(out);
      expect(all).toHaveLength(6);
      expect(new Set(all.map((x) => x.key)).size).toBe(6);
      const bad = all.find((x) => !x.ok);
      expect(bad).toMatchObject({ ok: false, cell: { depth: 3, seed: 1 } });
      expect((bad as { error: string }).error).toMatch(/boom at depth 3 \(after 2 attempts\)/);
      for (const x of all) if (x.ok) expect(x.result).toEqual({ product: x.cell.depth * (x.cell.seed + 1) });
      // A third run has nothing left to do, the failed cell included.
      const s3 = await runQueueSweep({ cells, out, target, queueName, quiet: true });
      expect(s3).toMatchObject({ collected: 0, enqueued: 0, skipped: 6 });
      const st = await queueStatus(target, queueName);
      expect(st.counts).toMatchObject({ completed: 5, failed: 1, waiting: 0, active: 0 });
      expect(st.workers).toHaveLength(1);
      expect(jobIdOf(cellKey(cells[0] as SweepCell))).toMatch(/^c[0-9a-f]{32}$/);
    } finally {
      stopWorker.abort();
      await worker;
    }
  });
});
