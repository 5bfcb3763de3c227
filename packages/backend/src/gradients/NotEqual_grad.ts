import type * as tf from '@tensorflow/tfjs';
import { zeroGradConfig } from '../internal/zero-grad.js';

/** `NotEqual` is piecewise constant: zero gradient (TensorFlow's `NotDifferentiable`; tfjs 4.22 has none). */
export const notEqualGradConfig: tf.GradConfig = zeroGradConfig('NotEqual', ['a', 'b']);
