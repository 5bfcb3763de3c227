/**
 * Side-effect module: registers gflow's kernel fills for the wasm backend. Imported (dynamically)
 * by `initBackend` only once wasm has been chosen. One kernel per file under `kernels/`, as in
 * tfjs's backends. An existing registration (tfjs's own `Conv2DBackpropInput`) is replaced.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterWasmConfig } from './kernels/Conv2DBackpropFilter.js';
import { conv2DBackpropInputWasmConfig } from './kernels/Conv2DBackpropInput.js';
import { depthwiseConv2dNativeBackpropFilterWasmConfig } from './kernels/DepthwiseConv2dNativeBackpropFilter.js';
import { depthwiseConv2dNativeBackpropInputWasmConfig } from './kernels/DepthwiseConv2dNativeBackpropInput.js';
import { einsumWasmConfig } from './kernels/Einsum.js';
import { unsortedSegmentSumWasmConfig } from './kernels/UnsortedSegmentSum.js';

const configs: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterWasmConfig,
  conv2DBackpropInputWasmConfig,
  depthwiseConv2dNativeBackpropFilterWasmConfig,
  depthwiseConv2dNativeBackpropInputWasmConfig,
  unsortedSegmentSumWasmConfig,
  einsumWasmConfig,
];

for (const config of configs) {
  if (tf.getKernel(config.kernelName, config.backendName) !== undefined) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}

/** The kernels gflow registered for wasm, as `kernel:<Kernel>` (for `BackendInfo.fills`). */
export const wasmKernelFills: readonly string[] = configs.map((c) => `kernel:${c.kernelName}`);
