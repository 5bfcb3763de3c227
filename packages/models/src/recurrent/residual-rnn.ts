import { checkOptions } from '../internal/validate.js';
import type { RecurrentModel, SimpleRecurrentOptions } from './options.js';
import { simpleStack } from './vanilla-rnn.js';

/** Options of {@link residualRNN}. */
export interface ResidualRNNOptions extends SimpleRecurrentOptions {
  /** Scale s of the update, h_t = h_{t−1} + s·f(…) (default 1). */
  readonly branchScale?: number;
}

/**
 * A residual recurrent network, h_t = h_{t−1} + s·φ(x_t U + h_{t−1} W + b): the step Jacobian is
 * I + s·diag(φ′)·Wᵀ, so the identity path keeps the gradient from vanishing through time
 * (Yue et al. 2018; the recurrent analogue of He et al. 2016).
 *
 * Taps `h.init`, `h.<t>` (`layers.<l>.h.<t>` when stacked); parameters as {@link vanillaRNN}.
 *
 * @param options - See {@link ResidualRNNOptions}.
 * @returns The model; input [batch, time, inputSize].
 * @throws InvalidArgumentError (from `@gflow/core`) for sizes of 0 or unknown names, before any tensor
 *   is allocated.
 * @example
 * ```ts
 * const rnn = residualRNN({ inputSize: 2, hiddenSize: 16, branchScale: 0.1 });
 * ```
 * @see Yue, Fu and Liang 2018, "Residual Recurrent Neural Networks for Learning Sequential Representations".
 */
export function residualRNN(options: ResidualRNNOptions): RecurrentModel {
  checkOptions('residualRNN', options);
  return simpleStack('residualRNN', options, 'residual', options.branchScale ?? 1);
}
