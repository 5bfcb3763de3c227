// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import '../internal/node-host.js';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.js';
import { addNChunkedConfig, registerWebgpuFills } from './AddN.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('AddN in groups (the webgpu fill)', () => {
  /** cpu's AddN, failing as webgpu's pipeline does when given more than `max` inputs. */
  function limited(max: number, calls: number[]): tf.KernelConfig {
    const cpu = tf.getKernel('AddN', 'cpu')!;
    return {
      ...cpu,
      kernelFunc: (args) => {
        const n = (args.inputs as unknown as unknown[]).length;
        calls.push(n);
        if (n > max) throw new Error(`${n} inputs > ${max}`);
        return cpu.kernelFunc(args);
      },
    };
  }

  // Hand-traced calls: groups of at most `max`, a lone leftover passed up as is, then the partials.
  const three = (k: number) => new Array<number>(k).fill(3);
  for (const [count, max, expectedCalls] of [
    [3, 7, [3]],
    [8, 7, [7, 2]], // 7 summed, 1 left over → [partial, x₈]
    [20, 7, [7, 7, 6, 3]], // 7, 7, 6 → three partials
    [50, 3, [...three(16), 2, ...three(5), 2, 3, 3, 2]], // 50 → 17 → 6 → 2 → 1
  ] as const) {
    it(`${count} inputs with at most ${max} per call: the exact sum, no call over the limit, nothing leaked`, () => {
      const calls: number[] = [];
      const config = addNChunkedConfig(limited(max, calls), 'cpu', max);
      // xᵢ = [i, 2i, 1/i] (i = 1…count): Σ = [n(n+1)/2, n(n+1), H_n], H_n by float64 summation.
      const xs = Array.from({ length: count }, (_, k) => tf.tensor1d([k + 1, 2 * (k + 1), 1 / (k + 1)]));
      const before = tf.memory().numTensors;
      const buffersBefore = (tf.memory() as { numDataBuffers: number }).numDataBuffers;
      const info = config.kernelFunc({
        inputs: xs as unknown as tf.NamedTensorInfoMap,
        backend: tf.backend(),
        attrs: {},
      });
      const out = tf.engine().makeTensorFromTensorInfo(info as tf.TensorInfo);
      const got = Array.from(out.dataSync());
      out.dispose();
      let h = 0;
      for (let k = 1; k <= count; k++) h += 1 / k;
      const n = count;
      expect(got[0]).toBe((n * (n + 1)) / 2);
      expect(got[1]).toBe(n * (n + 1));
      // float32 sum of ≤ 50 terms each rounded once: within 50 ulps of H_n.
      expect(Math.abs(got[2]! - h)).toBeLessThan(50 * 2 ** -23 * h);
      expect(calls.every((c) => c <= max)).toBe(true);
      expect(calls).toEqual(expectedCalls);
      expect(tf.memory().numTensors).toBe(before);
      expect((tf.memory() as { numDataBuffers: number }).numDataBuffers).toBe(buffersBefore);
      tf.dispose(xs);
    });
  }

  it('reads the limit from the GPU device when there is one (maxStorageBuffersPerShaderStage − 1)', () => {
    const calls: number[] = [];
    const config = addNChunkedConfig(limited(4, calls), 'cpu');
    const xs = Array.from({ length: 9 }, () => tf.ones([2]));
    const before = tf.memory().numTensors;
    const backend = Object.assign(Object.create(tf.backend()), {
      device: { limits: { maxStorageBuffersPerShaderStage: 5 } },
    });
    const info = config.kernelFunc({ inputs: xs as unknown as tf.NamedTensorInfoMap, backend, attrs: {} });
    const out = tf.engine().makeTensorFromTensorInfo(info as tf.TensorInfo);
    expect(Array.from(out.dataSync())).toEqual([9, 9]);
    out.dispose();
    expect(calls).toEqual([4, 4, 3]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(xs);
  });

  it('registerWebgpuFills does nothing where no webgpu backend is registered', () => {
    expect(tf.getKernel('AddN', 'webgpu')).toBeUndefined();
    expect(registerWebgpuFills()).toEqual([]);
  });
});
