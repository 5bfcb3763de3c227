import type * as tf from '@tensorflow/tfjs';
import { cpuFallbackConfig } from '../internal/cpu-fallback.js';

/**
 * `DepthwiseConv2dNativeBackpropFilter` for the wasm backend, which has none in tfjs 4.22: the cpu backend's kernel run on a copy
 * of the inputs (see `internal/cpu-fallback.ts`; correct, not fast).
 */
export const depthwiseConv2dNativeBackpropFilterWasmConfig: tf.KernelConfig = cpuFallbackConfig(
  'DepthwiseConv2dNativeBackpropFilter',
  'wasm',
);
