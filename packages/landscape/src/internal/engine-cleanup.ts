import * as tf from '@tensorflow/tfjs';

interface TapeNode {
  saved?: tf.Tensor[];
}
interface EngineState {
  gradientDepth: number;
  activeTape: TapeNode[] | null;
}

/**
 * Frees what tfjs 4.22 leaves behind when backpropagation throws (a missing gradient, a
 * disconnected graph): the engine keeps the saved tensors of the failed tape and frees them only
 * after a successful backward pass. Call it after catching such an error, outside any gradient.
 * It touches the engine's internal state, so it checks the shape of that state and does nothing
 * when it is not the one it knows.
 */
export function releaseFailedTape(): void {
  const state = (tf.engine() as unknown as { state?: Partial<EngineState> }).state;
  if (state === undefined || state.gradientDepth !== 0 || !Array.isArray(state.activeTape)) return;
  for (const node of state.activeTape) {
    for (const t of node.saved ?? []) {
      if (t instanceof tf.Tensor && !t.isDisposed) t.dispose();
    }
  }
  state.activeTape = null;
}
