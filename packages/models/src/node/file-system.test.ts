import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gflow/backend';
import { GflowIOError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSystem, loadModelFromFile, resolveWeightPath } from './file-system.js';

const dir = mkdtempSync(join(tmpdir(), 'gflow-model-io-'));
beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function smallModel(): tf.Sequential {
  const m = tf.sequential();
  m.add(
    tf.layers.dense({
      units: 5,
      inputShape: [3],
      activation: 'tanh',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  m.add(tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  return m;
}

async function saved(name: string): Promise<string> {
  const m = smallModel();
  await m.save(fileSystem(join(dir, name)));
  m.dispose();
  return join(dir, name, 'model.json');
}

describe('model files on disk', () => {
  it('round-trips a LayersModel: same weights, same outputs, no leaked tensors', async () => {
    const before = tf.memory().numTensors;
    const m = smallModel();
    await m.save(fileSystem(join(dir, 'rt')));
    const back = await loadModelFromFile(join(dir, 'rt', 'model.json'));
    expect(back.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dense']);
    const w0 = m.getWeights().map((w) => Array.from(w.dataSync()));
    const w1 = back.getWeights().map((w) => Array.from(w.dataSync()));
    expect(w1).toEqual(w0); // float32 bytes written and read back unchanged
    const y = tf.tidy(() => {
      const x = tf.tensor2d([[0.1, -0.2, 0.3]]);
      return tf
        .sub(m.predict(x) as tf.Tensor, back.predict(x) as tf.Tensor)
        .abs()
        .max()
        .dataSync()[0];
    });
    expect(y).toBe(0);
    m.dispose();
    back.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses weight paths that escape the model folder', async () => {
    const p = await saved('escape');
    const json = JSON.parse(readFileSync(p, 'utf8'));
    for (const bad of ['../../etc/passwd', '/etc/passwd', 'sub/../../x.bin', 'file:///etc/passwd']) {
      json.weightsManifest[0].paths = [bad];
      writeFileSync(p, JSON.stringify(json));
      const err = await loadModelFromFile(p).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GflowIOError);
      expect((err as Error).message).toMatch(
        /escapes the model's folder|absolute paths and URLs are refused/,
      );
    }
  });

  it('turns broken and foreign files into one-paragraph GflowIOErrors', async () => {
    const p = await saved('broken');
    const good = readFileSync(p, 'utf8');
    const cases: [string, RegExp][] = [
      ['{not json', /is not JSON/],
      ['[1,2]', /must hold a JSON object, got an array of length 2/],
      ['{"format":"graph-model","modelTopology":{},"weightsManifest":[]}', /is a tfjs GraphModel/],
      ['{"hello":"world"}', /has no "modelTopology" object/],
      [
        JSON.stringify({ ...JSON.parse(good), modelTopology: { class_name: 'Nonsense', config: {} } }),
        /could not be built as a tfjs LayersModel/,
      ],
    ];
    for (const [text, re] of cases) {
      writeFileSync(p, text);
      const err = await loadModelFromFile(p).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GflowIOError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).not.toMatch(/\n/);
    }
    // Weights cut short.
    writeFileSync(p, good);
    const bin = join(dir, 'broken', 'weights.bin');
    writeFileSync(bin, readFileSync(bin).subarray(0, 12));
    // Dense 3→5 and 5→2: (3·5 + 5 + 5·2 + 2) = 32 float32 values = 128 bytes.
    await expect(loadModelFromFile(p)).rejects.toThrow(/hold 12 bytes but the manifest describes 128/);
  });

  it('reports a missing model.json or weight file', async () => {
    await expect(loadModelFromFile(join(dir, 'nope', 'model.json'))).rejects.toThrow(
      /cannot read .*nope\/model\.json/,
    );
    const p = await saved('missing');
    rmSync(join(dir, 'missing', 'weights.bin'));
    await expect(loadModelFromFile(p)).rejects.toThrow(
      /weight file "\.\/weights\.bin" named in the manifest does not exist/,
    );
  });

  it('refuses a weight file that is a symbolic link out of the folder', async () => {
    const p = await saved('link');
    const outside = join(dir, 'outside.bin');
    writeFileSync(outside, readFileSync(join(dir, 'link', 'weights.bin')));
    rmSync(join(dir, 'link', 'weights.bin'));
    symlinkSync(outside, join(dir, 'link', 'weights.bin'));
    await expect(loadModelFromFile(p)).rejects.toThrow(/links to .*outside\.bin, outside the model's folder/);
  });

  it('a model refused for missing weights names a few of them and counts the rest, not all of them', async () => {
    // 12 dense layers have 24 weights (d0/kernel, d0/bias, …); the manifest keeps only d0/kernel
    // and the weight file only its bytes, so tfjs refuses with the 23 names it could not set.
    const m = tf.sequential();
    for (let i = 0; i < 12; i++)
      m.add(tf.layers.dense({ units: 2, name: `d${i}`, ...(i === 0 ? { inputShape: [2] } : {}) }));
    const folder = join(dir, 'missing-weights');
    await m.save(fileSystem(folder));
    m.dispose();
    const json = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8'));
    const first = json.weightsManifest[0].weights[0];
    expect(first).toMatchObject({ name: 'd0/kernel', shape: [2, 2], dtype: 'float32' });
    json.weightsManifest[0].weights = [first];
    writeFileSync(join(folder, 'model.json'), JSON.stringify(json));
    writeFileSync(
      join(folder, 'weights.bin'),
      readFileSync(join(folder, 'weights.bin')).subarray(0, 2 * 2 * 4),
    );
    const before = tf.memory().numTensors;
    const err = await loadModelFromFile(join(folder, 'model.json')).catch((e: unknown) => e);
    expect(tf.memory().numTensors).toBe(before);
    expect(err).toBeInstanceOf(GflowIOError);
    expect((err as Error).message).toMatch(
      /23 of 24 weights are not set: d0\/bias, d1\/kernel, d1\/bias, d2\/kernel, d2\/bias … and 18 more\. A model\.json written/,
    );
    expect((err as Error).message).not.toMatch(/d11\/bias/);
  });

  it('tf.loadLayersModel(fileSystem(…)) reads what model.save(fileSystem(…)) wrote, from the file or its folder', async () => {
    const before = tf.memory().numTensors;
    const m = smallModel();
    const folder = join(dir, 'plain');
    const info = await m.save(fileSystem(`file://${folder}`));
    // Dense 3→5 and 5→2: 32 float32 values.
    expect(info.modelArtifactsInfo.weightDataBytes).toBe(128);
    for (const p of [join(folder, 'model.json'), folder]) {
      const back = await tf.loadLayersModel(fileSystem(p));
      const w0 = m.getWeights().map((w) => Array.from(w.dataSync()));
      expect(back.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(w0);
      back.dispose();
    }
    // A .json path is the model file's own name, weights beside it.
    await m.save(fileSystem(join(dir, 'named', 'net.json')));
    expect(readdirSync(join(dir, 'named')).sort()).toEqual(['net.json', 'weights.bin']);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fileSystem refuses escaping and mis-sized weight files before reading them', async () => {
    const p = await saved('fs-escape');
    const json = JSON.parse(readFileSync(p, 'utf8'));
    json.weightsManifest[0].paths = ['../../etc/passwd'];
    writeFileSync(p, JSON.stringify(json));
    await expect(tf.loadLayersModel(fileSystem(p))).rejects.toThrow(
      /fileSystem\(…\)\.load: weight file "\.\.\/\.\.\/etc\/passwd" escapes the model's folder/,
    );
    // A weight file larger than the manifest says (a foreign file): refused by its size.
    const q = await saved('fs-big');
    writeFileSync(join(dir, 'fs-big', 'weights.bin'), new Uint8Array(1 << 16));
    await expect(tf.loadLayersModel(fileSystem(q))).rejects.toThrow(
      /hold 65536 bytes but the manifest describes 128/,
    );
    expect(() => fileSystem('')).toThrow(/fileSystem: path must be a non-empty file system path, got ""/);
  });

  it('resolveWeightPath accepts a file inside the folder and refuses one outside', async () => {
    await saved('resolve');
    const folder = realpathSync(join(dir, 'resolve'));
    await expect(resolveWeightPath(folder, './weights.bin')).resolves.toBe(join(folder, 'weights.bin'));
    await expect(resolveWeightPath(folder, '../resolve/../x.bin')).rejects.toThrow(
      /resolveWeightPath: weight file "\.\.\/resolve\/\.\.\/x\.bin" escapes/,
    );
  });
});
