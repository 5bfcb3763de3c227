/**
 * Side-effect module: registers gflow's kernel fills. Imported (dynamically) by `initBackend` once
 * wasm or cpu has been chosen. One kernel per file under `kernels/`, as in tfjs's backends. An
 * existing registration (tfjs's own wasm `Conv2DBackpropInput`, cpu `Conv2DBackpropFilter`) is
 * replaced; the replaced configs stay reachable through `replacedKernel` for tests.
 */
import * as tf from '@tensorflow/tfjs';
// The wasm backend registers its own kernels when imported; import it first so that ours replace
// them, and not the other way round.
import '@tensorflow/tfjs-backend-wasm';
import { batchMatMulWasmConfig } from './kernels/BatchMatMul.js';
import { conv2DWasmConfig } from './kernels/Conv2D.js';
import { conv2DBackpropFilterConfig } from './kernels/Conv2DBackpropFilter.js';
import { conv2DBackpropInputWasmConfig } from './kernels/Conv2DBackpropInput.js';
import { depthwiseConv2dNativeBackpropFilterWasmConfig } from './kernels/DepthwiseConv2dNativeBackpropFilter.js';
import { depthwiseConv2dNativeBackpropInputWasmConfig } from './kernels/DepthwiseConv2dNativeBackpropInput.js';
import { einsumWasmConfig } from './kernels/Einsum.js';
import { fusedMatMulWasmConfig } from './kernels/FusedMatMul.js';
import { gruSequenceGradWasmConfig, gruSequenceWasmConfig } from './kernels/GruSequence.js';
import { lstmSequenceGradWasmConfig, lstmSequenceWasmConfig } from './kernels/LstmSequence.js';
import { leadingAxesReduceWasmConfig } from './kernels/leading-axes-reduce.js';
import { sliceWasmConfig } from './kernels/Slice.js';
import { sharedDataWasmConfig } from './kernels/shared-data-identity.js';
import { tanhWasmConfig } from './kernels/Tanh.js';
import { tanhRnnSequenceGradWasmConfig, tanhRnnSequenceWasmConfig } from './kernels/TanhRnnSequence.js';
import { unpackWasmConfig } from './kernels/Unpack.js';
import { unsortedSegmentSumWasmConfig } from './kernels/UnsortedSegmentSum.js';

/** tfjs's own wasm kernel `name` (registered by the import above), which a fill wraps. */
function stockWasm(name: string): tf.KernelConfig {
  const k = tf.getKernel(name, 'wasm');
  if (k === undefined) throw new Error(`gflow kernel fills: tfjs-backend-wasm registered no ${name}`);
  return k;
}

const configs: readonly tf.KernelConfig[] = [
  conv2DWasmConfig(stockWasm('Conv2D')),
  conv2DBackpropFilterConfig('wasm'),
  conv2DBackpropInputWasmConfig,
  depthwiseConv2dNativeBackpropFilterWasmConfig,
  depthwiseConv2dNativeBackpropInputWasmConfig,
  unsortedSegmentSumWasmConfig,
  einsumWasmConfig,
  batchMatMulWasmConfig(stockWasm('BatchMatMul')),
  fusedMatMulWasmConfig(stockWasm('_FusedMatMul')),
  sliceWasmConfig(stockWasm('Slice')),
  unpackWasmConfig(stockWasm('Unpack')),
  leadingAxesReduceWasmConfig(stockWasm('Sum'), 'Sum'),
  leadingAxesReduceWasmConfig(stockWasm('Mean'), 'Mean'),
  sharedDataWasmConfig(stockWasm('Identity'), 'Identity'),
  sharedDataWasmConfig(stockWasm('Cast'), 'Cast'),
  tanhWasmConfig(stockWasm('Tanh'), stockWasm('Sigmoid')),
  tanhRnnSequenceWasmConfig,
  tanhRnnSequenceGradWasmConfig,
  lstmSequenceWasmConfig,
  lstmSequenceGradWasmConfig,
  gruSequenceWasmConfig,
  gruSequenceGradWasmConfig,
  conv2DBackpropFilterConfig('cpu'),
];

const replaced = new Map<string, tf.KernelConfig>();
for (const config of configs) {
  const existing = tf.getKernel(config.kernelName, config.backendName);
  if (existing !== undefined) {
    replaced.set(`${config.kernelName}@${config.backendName}`, existing);
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}

/** The kernels gflow registered for `backendName`, as `kernel:<Kernel>` (for `BackendInfo.fills`). */
export function kernelFillsFor(backendName: string): string[] {
  return configs.filter((c) => c.backendName === backendName).map((c) => `kernel:${c.kernelName}`);
}

/** tfjs's own config that a fill replaced, if any (the tests compare the fills with it). */
export function replacedKernel(kernelName: string, backendName: string): tf.KernelConfig | undefined {
  return replaced.get(`${kernelName}@${backendName}`);
}
