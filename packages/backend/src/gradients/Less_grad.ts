import type * as tf from '@tensorflow/tfjs';
import { zeroGradConfig } from '../internal/zero-grad.js';

/** `Less` is piecewise constant: zero gradient (TensorFlow's `NotDifferentiable`; tfjs 4.22 has none). */
export const lessGradConfig: tf.GradConfig = zeroGradConfig('Less', ['a', 'b']);
