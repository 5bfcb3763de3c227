/**
 * Names of the fused kernels that `@gflow/backend` registers and `@gflow/models` runs when they
 * are registered for the engine in use (the two packages do not depend on each other).
 *
 * `GflowTanhRnnSequence`: inputs `u` [batch, steps, hidden] (the projected inputs x_t U + b),
 * `w` [hidden, hidden], `h0` [batch, hidden]; output `h` [batch, steps, hidden] with
 * h_t = tanh(u_t + h_{t−1} w).
 *
 * `GflowTanhRnnSequenceGrad`: inputs `dh` [batch, steps, hidden] (the gradient of `h` from
 * downstream), `h` (the forward output), `w`, `h0`; outputs `du` [batch, steps, hidden], `dw`
 * [hidden, hidden], `dh0` [batch, hidden] and `dhTotal` [steps, batch, hidden], the whole ∂L/∂h_t
 * of every step (from downstream and through the recurrence), step-major; with the attribute
 * `stepGradients: false`, only the first three; with `stepNorms: true`, the fourth output is
 * instead each step's scaled pair [steps, 2] (`hostScaledPair` of that step's ∂L/∂h_t, float32),
 * for a listener that records only the norms.
 *
 * @internal
 * @module
 */

/** The forward kernel of a whole tanh RNN sequence. */
export const TANH_RNN_SEQUENCE = 'GflowTanhRnnSequence';
/** Its backward kernel (backpropagation through time in one call). */
export const TANH_RNN_SEQUENCE_GRAD = 'GflowTanhRnnSequenceGrad';

/**
 * The forward kernel of a whole LSTM sequence (gate order i, f, g, o; c₀ = 0): inputs `u`
 * [batch, steps, 4·hidden], `w` [hidden, 4·hidden], `h0` [batch, hidden]; outputs `h` [batch,
 * steps, hidden], the activated gates [batch, steps, 4·hidden] and the cell states `c` [batch,
 * steps, hidden] (the last two for the backward kernel).
 */
export const LSTM_SEQUENCE = 'GflowLstmSequence';
/**
 * Its backward kernel: inputs `dh`, `h`, `gates`, `c`, `w`, `h0`; outputs `du`, `dw`, `dh0` and,
 * unless the attribute `stepGradients` is false, `dhTotal` [steps, batch, hidden].
 */
export const LSTM_SEQUENCE_GRAD = 'GflowLstmSequenceGrad';

/**
 * The forward kernel of a whole GRU sequence (gate order r, z, n, PyTorch's form: n =
 * tanh(u_n + r ⊙ (h W_n + b_n))): inputs `u` [batch, steps, 3·hidden], `w` [hidden, 3·hidden],
 * `b` [3·hidden] (the recurrent bias), `h0` [batch, hidden]; outputs `h` [batch, steps, hidden]
 * and `saved` [batch, steps, 4·hidden] (r, z, n and h W_n + b_n, for the backward kernel).
 */
export const GRU_SEQUENCE = 'GflowGruSequence';
/**
 * Its backward kernel: inputs `dh`, `h`, `saved`, `w`, `h0`; outputs `du`, `dw`, `db`, `dh0` and,
 * unless the attribute `stepGradients` is false, `dhTotal` [steps, batch, hidden].
 */
export const GRU_SEQUENCE_GRAD = 'GflowGruSequenceGrad';
