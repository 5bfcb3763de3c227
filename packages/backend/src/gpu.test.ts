// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import './internal/node-host.js';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { availableBackends, initBackend } from './init-backend.js';
import { concat, makeArrays, run } from './test-utils/conv-net.js';
import { relErr } from './test-utils/random.js';

// GPU engines (webgpu over Dawn, CUDA through tfjs-node-gpu) run only where one starts. Where
// none does (CI, this machine), these tests are skipped and the reason is printed.
const available = await availableBackends();
const gpuEngines = available.filter((n) => n === 'webgpu' || n === 'tensorflow-gpu');
const skipReason =
  gpuEngines.length === 0
    ? `no GPU engine starts here (available: ${available.join(', ')}); GPU tests skipped`
    : '';
if (skipReason) console.log(`[@gflow/backend] ${skipReason}`);

describe('GPU engines', () => {
  if (gpuEngines.length === 0) it.skip(skipReason, () => {});
  afterAll(async () => {
    await initBackend({ prefer: 'wasm' });
  });
  for (const engine of gpuEngines) {
    it(`${engine}: the 30-block conv net matches cpu (forward, backward, double backward)`, async () => {
      const arrays = makeArrays(100);
      await initBackend({ prefer: 'cpu' });
      const cpu = run(arrays);
      const info = await initBackend({ prefer: engine });
      expect(info.accelerated).toBe(true);
      expect(tf.getBackend()).not.toBe('cpu');
      const gpu = run(arrays);
      expect(relErr(gpu.output, cpu.output)).toBeLessThan(1e-3);
      expect(relErr(concat(gpu.grads), concat(cpu.grads))).toBeLessThan(1e-3);
      expect(relErr(concat(gpu.hvp), concat(cpu.hvp))).toBeLessThan(3e-3);
    });
  }
});
