import type * as tf from '@tensorflow/tfjs';
import { zeroGradConfig } from '../internal/zero-grad.js';

/** `Greater` is piecewise constant: zero gradient (TensorFlow's `NotDifferentiable`; tfjs 4.22 has none). */
export const greaterGradConfig: tf.GradConfig = zeroGradConfig('Greater', ['a', 'b']);
