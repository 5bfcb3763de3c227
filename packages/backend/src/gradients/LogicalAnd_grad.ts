import type * as tf from '@tensorflow/tfjs';
import { zeroGradConfig } from '../internal/zero-grad.js';

/** `LogicalAnd` is piecewise constant: zero gradient (TensorFlow's `NotDifferentiable`; tfjs 4.22 has none). */
export const logicalAndGradConfig: tf.GradConfig = zeroGradConfig('LogicalAnd', ['a', 'b']);
