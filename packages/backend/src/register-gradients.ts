/**
 * Side-effect module: registers gflow's gradient configs over tfjs 4.22's, on every backend
 * (gradients are backend-independent). Imported once by `init-backend.ts` and by the losses, so
 * any import of `@gflow/backend` installs them. One config per file under `gradients/`, as in
 * tfjs-core.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DGradConfig } from './gradients/Conv2D_grad.js';
import { conv2DBackpropFilterGradConfig } from './gradients/Conv2DBackpropFilter_grad.js';
import { conv2DBackpropInputGradConfig } from './gradients/Conv2DBackpropInput_grad.js';
import { depthwiseConv2dNativeGradConfig } from './gradients/DepthwiseConv2dNative_grad.js';
import { depthwiseConv2dNativeBackpropFilterGradConfig } from './gradients/DepthwiseConv2dNativeBackpropFilter_grad.js';
import { depthwiseConv2dNativeBackpropInputGradConfig } from './gradients/DepthwiseConv2dNativeBackpropInput_grad.js';
import { eluGradConfig } from './gradients/Elu_grad.js';
import { eluGradGradConfig } from './gradients/EluGrad_grad.js';
import { equalGradConfig } from './gradients/Equal_grad.js';
import { expGradConfig } from './gradients/Exp_grad.js';
import { fusedBatchNormGradConfig } from './gradients/FusedBatchNorm_grad.js';
import { greaterGradConfig } from './gradients/Greater_grad.js';
import { leakyReluGradConfig } from './gradients/LeakyRelu_grad.js';
import { lessGradConfig } from './gradients/Less_grad.js';
import { lessEqualGradConfig } from './gradients/LessEqual_grad.js';
import { logicalAndGradConfig } from './gradients/LogicalAnd_grad.js';
import { logicalNotGradConfig } from './gradients/LogicalNot_grad.js';
import { logicalOrGradConfig } from './gradients/LogicalOr_grad.js';
import { notEqualGradConfig } from './gradients/NotEqual_grad.js';
import { powGradConfig } from './gradients/Pow_grad.js';
import { preluGradConfig } from './gradients/Prelu_grad.js';
import { seluGradConfig } from './gradients/Selu_grad.js';
import { sigmoidGradConfig } from './gradients/Sigmoid_grad.js';
import { softmaxGradConfig } from './gradients/Softmax_grad.js';
import { tanhGradConfig } from './gradients/Tanh_grad.js';

/** Every gradient config gflow installs, in registration order. */
const configs: readonly tf.GradConfig[] = [
  conv2DBackpropFilterGradConfig,
  conv2DBackpropInputGradConfig,
  conv2DGradConfig,
  depthwiseConv2dNativeBackpropFilterGradConfig,
  depthwiseConv2dNativeBackpropInputGradConfig,
  depthwiseConv2dNativeGradConfig,
  eluGradGradConfig,
  eluGradConfig,
  equalGradConfig,
  expGradConfig,
  fusedBatchNormGradConfig,
  greaterGradConfig,
  leakyReluGradConfig,
  lessEqualGradConfig,
  lessGradConfig,
  logicalAndGradConfig,
  logicalNotGradConfig,
  logicalOrGradConfig,
  notEqualGradConfig,
  powGradConfig,
  preluGradConfig,
  seluGradConfig,
  sigmoidGradConfig,
  softmaxGradConfig,
  tanhGradConfig,
];

for (const config of configs) tf.registerGradient(config);

/** The kernels whose gradients gflow replaced or added, as `grad:<Kernel>` (for `BackendInfo.fills`). */
export const gradientFills: readonly string[] = configs.map((c) => `grad:${c.kernelName}`);
