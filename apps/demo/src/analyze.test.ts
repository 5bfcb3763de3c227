import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gflow/backend';
import { GflowError } from '@gflow/core';
import { type Finding, nonFiniteReplacer, nonFiniteReviver } from '@gflow/diagnostics';
import { fileSystem } from '@gflow/models/node';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { analyze, analyzeCommand, analyzeExitCode, formatAnalysis } from './analyze.js';

const dir = mkdtempSync(join(tmpdir(), 'gflow-analyze-'));
beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gflow analyze', () => {
  it('round trip: a model saved to disk and read back is analyzed, and its gradients match tfjs on the original', async () => {
    const m = tf.sequential();
    m.add(
      tf.layers.dense({
        units: 6,
        inputShape: [5],
        activation: 'tanh',
        kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }),
        name: 'hidden',
      }),
    );
    m.add(
      tf.layers.dense({
        units: 3,
        kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }),
        name: 'out',
      }),
    );
    await m.save(fileSystem(join(dir, 'm')));
    const before = tf.memory().numTensors;
    const r = await analyze({
      kind: 'file',
      path: join(dir, 'm', 'model.json'),
      json: true,
      batch: 7,
      engine: 'cpu',
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.inputShape).toEqual([7, 5]);
    expect(r.targetShape).toEqual([7, 3]);
    expect(r.report.taps.map((t) => t.name)).toEqual(['layers.hidden', 'layers.out']);
    expect(r.report.parameters.map((p) => p.name)).toEqual([
      'hidden.kernel',
      'hidden.bias',
      'out.kernel',
      'out.bias',
    ]);
    // Independent check on the original in-memory model: analyze draws x ~ N(0,1) with seed 1 and
    // y with seed 2 and uses the mean squared error; differentiate the same loss with tfjs.
    const expected = tf.tidy(() => {
      const x = tf.randomNormal([7, 5], 0, 1, 'float32', 1);
      const y = tf.randomNormal([7, 3], 0, 1, 'float32', 2);
      const { value, grads } = tf.variableGrads(
        () => tf.mean(tf.square(tf.sub(m.predict(x) as tf.Tensor, y))) as tf.Scalar,
      );
      const global = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
      return [value.dataSync()[0] as number, global.dataSync()[0] as number];
    });
    expect(r.report.loss).toBeCloseTo(expected[0] as number, 5);
    expect(r.report.globalNorm).toBeCloseTo(expected[1] as number, 5);
    const text = formatAnalysis(r);
    expect(text).toMatch(/gradient norm per tap/);
    expect(text).toMatch(/diagnosis:/);
    m.dispose();
  });

  it('analyze by flags: one report per built model, no leaks', async () => {
    const before = tf.memory().numTensors;
    const r = await analyze({
      kind: 'flags',
      model: {
        arch: 'plain-mlp',
        depth: 6,
        activation: 'sigmoid',
        init: 'xavier',
        norm: 'none',
        width: 16,
        seed: 0,
      },
      json: false,
      batch: 8,
      engine: 'cpu',
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.report.taps.filter((t) => /^blocks\.\d+$/.test(t.name))).toHaveLength(6);
    expect(r.report.globalNorm).toBeGreaterThan(0);
  });

  it('update ratios are judged only with --lr: the rate you train with, not a default', async () => {
    const run = (lr?: number) =>
      analyze({
        kind: 'flags',
        model: {
          arch: 'plain-mlp',
          depth: 4,
          activation: 'tanh',
          init: 'xavier',
          norm: 'none',
          width: 16,
          seed: 0,
        },
        json: false,
        batch: 8,
        engine: 'cpu',
        ...(lr === undefined ? {} : { lr }),
      });
    const without = await run();
    expect(without.report.diagnosis.filter((f) => f.kind === 'update-ratio')).toEqual([]);
    const withLr = await run(5);
    expect(withLr.report.learningRate).toBe(5);
    const f = withLr.report.diagnosis.filter((d) => d.kind === 'update-ratio');
    expect(f).toHaveLength(1); // one finding for the kind, the parameters listed in it
    expect(f[0]?.message).toMatch(/an SGD step of 5 would change/);
  });

  it('a foreign or escaping file is one GflowError paragraph', async () => {
    const p = join(dir, 'evil.json');
    writeFileSync(
      p,
      JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['../../etc/passwd'], weights: [] }] }),
    );
    const err = await analyze({ kind: 'file', path: p, json: false, batch: 4, engine: 'cpu' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GflowError);
    expect((err as Error).message).toMatch(
      /weight file "\.\.\/\.\.\/etc\/passwd" escapes the model's folder/,
    );
    expect((err as Error).message).not.toMatch(/\n/);
  });

  for (const [s, depth] of [
    [0.5, 120],
    [2, 100],
  ] as const) {
    it(`analyze --json on ${depth} dense blocks W = ${s}·I: every tap within 1e-5 of s^k relative to the last`, async () => {
      // A saved LayersModel: a first dense layer 2^-100·I (W = 2·I) or I (W = 0.5·I) that keeps the
      // output and the MSE loss inside float32, then `depth` linear blocks W = s·I. W is symmetric,
      // so ∂L/∂h after block k is s^(depth−1−k) times ∂L/∂h after the last block, exactly (powers
      // of two, sums of zeros): the expected ratios need no rounding allowance at all.
      const m = tf.sequential();
      const lead = s === 2 ? 2 ** -100 : 1;
      m.add(
        tf.layers.dense({
          units: 4,
          inputShape: [4],
          useBias: false,
          kernelInitializer: tf.initializers.identity({ gain: lead }),
          name: 'lead',
        }),
      );
      for (let k = 0; k < depth; k++) {
        m.add(
          tf.layers.dense({
            units: 4,
            useBias: false,
            kernelInitializer: tf.initializers.identity({ gain: s }),
            name: `b${k}`,
          }),
        );
      }
      const path = join(dir, `lin-${s}`);
      await m.save(fileSystem(path));
      m.dispose();
      const before = tf.memory().numTensors;
      for (const engine of ['wasm', 'cpu'] as const) {
        const r = await analyze({
          kind: 'file',
          path: join(path, 'model.json'),
          json: true,
          batch: 4,
          engine,
        });
        // What `gflow analyze --json` prints, read back.
        const report = JSON.parse(
          JSON.stringify(r.report, nonFiniteReplacer),
          nonFiniteReviver,
        ) as typeof r.report;
        const blocks = report.taps.filter((t) => /^layers\.b\d+$/.test(t.name));
        expect(blocks).toHaveLength(depth);
        blocks.forEach((t, k) => {
          const want = s ** (depth - 1 - k);
          expect(Math.abs((t.ratioToLast as number) / want - 1)).toBeLessThan(1e-5);
          expect(t.gradNorm).toBeGreaterThan(0);
          expect(Number.isFinite(t.gradNorm)).toBe(true);
        });
      }
      await initBackend({ prefer: 'cpu' });
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe('gflow analyze exit code', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  const finding = (severity: Finding['severity']): Finding => ({
    kind: 'non-finite',
    severity,
    message: severity,
    evidence: {},
    remedy: '',
  });

  it('is 2 when a finding is at least as severe as --fail-on, else 0', () => {
    expect(analyzeExitCode([], 'error')).toBe(0);
    expect(analyzeExitCode([finding('info'), finding('warning')], 'error')).toBe(0);
    expect(analyzeExitCode([finding('info'), finding('error')], 'error')).toBe(2);
    expect(analyzeExitCode([finding('warning')], 'warning')).toBe(2);
    expect(analyzeExitCode([finding('error')], 'warning')).toBe(2);
    expect(analyzeExitCode([finding('info')], 'warning')).toBe(0);
    expect(analyzeExitCode([finding('error'), finding('warning')], 'never')).toBe(0);
  });

  it('a saved model with NaN weights: the diagnosis has a non-finite error and the exit code is 2 (0 with --fail-on never)', async () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 3, inputShape: [4], name: 'hidden' }));
    m.add(tf.layers.dense({ units: 2, name: 'out' }));
    const kernel = tf.tensor2d([
      [1, 0, 0],
      [0, Number.NaN, 0],
      [0, 0, 1],
      [0, 0, 0],
    ]);
    m.getLayer('hidden').setWeights([kernel, tf.zeros([3])]);
    kernel.dispose();
    await m.save(fileSystem(join(dir, 'nan')));
    m.dispose();
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((t: string) => void printed.push(t));
    const stderr: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((t) => {
      stderr.push(String(t));
      return true;
    });
    const o = {
      kind: 'file',
      path: join(dir, 'nan', 'model.json'),
      json: true,
      batch: 4,
      engine: 'cpu',
    } as const;
    const before = tf.memory().numTensors;
    expect(await analyzeCommand({ ...o, failOn: 'error' })).toBe(2);
    expect(process.exitCode).toBe(2);
    const report = JSON.parse(printed[0] ?? '{}').report as { diagnosis: Finding[] };
    expect(report.diagnosis.some((f) => f.kind === 'non-finite' && f.severity === 'error')).toBe(true);
    expect(stderr.join('')).toMatch(
      /exit code 2, because the diagnosis has 1 finding of severity error \(--fail-on error; --fail-on never always exits 0\)/,
    );
    process.exitCode = undefined;
    expect(await analyzeCommand({ ...o, failOn: 'never' })).toBe(0);
    expect(process.exitCode).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a healthy model exits 0', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const before = tf.memory().numTensors;
    const code = await analyzeCommand({
      kind: 'flags',
      model: {
        arch: 'residual-mlp',
        depth: 3,
        activation: 'tanh',
        init: 'xavier',
        norm: 'none',
        width: 8,
        seed: 0,
      },
      json: true,
      batch: 8,
      engine: 'cpu',
      failOn: 'error',
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(code).toBe(0);
    expect(process.exitCode).toBeUndefined();
  });
});
