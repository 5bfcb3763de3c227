// Shared by kernel-times.mjs, rnn-early-passes.mjs and scripts/conv-gflops.mjs: wraps every
// registered wasm kernel's kernelFunc with a timer. wasm kernels are synchronous, so a call's wall
// time is the kernel's; a fill's inner kernel calls count as the fill's time.
import * as tf from '@tensorflow/tfjs';

/**
 * Calls `record(kernelName, ms)` after every outermost wasm kernel call from now on.
 * @param {(kernelName: string, ms: number) => void} record
 */
export function timeWasmKernels(record) {
  let depth = 0;
  for (const k of tf.getKernelsForBackend('wasm')) {
    const f = k.kernelFunc;
    k.kernelFunc = (args) => {
      if (depth > 0) return f(args);
      depth++;
      const t0 = performance.now();
      try {
        return f(args);
      } finally {
        depth--;
        record(k.kernelName, performance.now() - t0);
      }
    };
  }
}

/**
 * A `record` for {@link timeWasmKernels} that sums each kernel's time and calls into `by`
 * (kernel name → { ms, n }).
 * @param {Map<string, { ms: number, n: number }>} by
 */
export function sumInto(by) {
  return (name, ms) => {
    const e = by.get(name) ?? { ms: 0, n: 0 };
    e.ms += ms;
    e.n++;
    by.set(name, e);
  };
}
