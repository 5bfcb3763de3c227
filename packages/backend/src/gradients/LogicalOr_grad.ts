import type * as tf from '@tensorflow/tfjs';
import { zeroGradConfig } from '../internal/zero-grad.js';

/** `LogicalOr` is piecewise constant: zero gradient (TensorFlow's `NotDifferentiable`; tfjs 4.22 has none). */
export const logicalOrGradConfig: tf.GradConfig = zeroGradConfig('LogicalOr', ['a', 'b']);
