import type * as tf from '@tensorflow/tfjs';
import { cpuFallbackConfig } from '../internal/cpu-fallback.js';

/**
 * `UnsortedSegmentSum` for the wasm backend, which has none in tfjs 4.22: the cpu backend's kernel run on a copy
 * of the inputs (see `internal/cpu-fallback.ts`; correct, not fast).
 */
export const unsortedSegmentSumWasmConfig: tf.KernelConfig = cpuFallbackConfig('UnsortedSegmentSum', 'wasm');
