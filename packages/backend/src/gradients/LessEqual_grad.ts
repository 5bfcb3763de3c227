import type * as tf from '@tensorflow/tfjs';
import { zeroGradConfig } from '../internal/zero-grad.js';

/** `LessEqual` is piecewise constant: zero gradient (TensorFlow's `NotDifferentiable`; tfjs 4.22 has none). */
export const lessEqualGradConfig: tf.GradConfig = zeroGradConfig('LessEqual', ['a', 'b']);
