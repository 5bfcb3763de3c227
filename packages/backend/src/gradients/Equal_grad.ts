import type * as tf from '@tensorflow/tfjs';
import { zeroGradConfig } from '../internal/zero-grad.js';

/** `Equal` is piecewise constant: zero gradient (TensorFlow's `NotDifferentiable`; tfjs 4.22 has none). */
export const equalGradConfig: tf.GradConfig = zeroGradConfig('Equal', ['a', 'b']);
