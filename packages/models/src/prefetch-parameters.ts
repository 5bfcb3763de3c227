import { describeValue, InvalidArgumentError } from '@gflow/core';
import type { Module } from './module.js';

/**
 * Awaits every parameter's values (`variable.data()`), which tfjs then keeps on the host beside
 * the engine's copy until the parameter changes. The orthogonal RNN reads its recurrent generator
 * synchronously (its matrix exponential, Cayley map and Householder check run on the host in
 * float64); after `await prefetchParameters(model)` that read takes the host copy, so on webgpu
 * its forward pass makes no synchronous GPU read (tfjs does those through a canvas, which loses
 * the device in headless Chromium over SwiftShader). Call it again after the parameters change (a
 * training step assigns new values). Reads each parameter once; no tensor is left behind.
 *
 * gflow's async drivers (`trainStepAsync`, `measureGradientFlowAsync`, `hessianEigenvaluesAsync`,
 * `lossLineAsync`) do this themselves for the parameters marked `hostRead`, before every forward
 * pass; call it for a forward pass of your own. The `'exp'` gradient makes no synchronous read on
 * webgpu or webgl (it runs on the engine there: see `matrixExp`).
 *
 * @param module - The module (anything with `parameters()`).
 * @returns When every value is on the host.
 * @throws InvalidArgumentError (from `@gflow/core`) when `module` has no `parameters()` (the promise rejects).
 * @example
 * ```ts
 * const rnn = orthogonalRNN({ inputSize: 4, hiddenSize: 16, outputSize: 1 });
 * await prefetchParameters(rnn);
 * const y = rnn.apply(x); // exp(A) from the host copy of A's generator
 * ```
 * @see Lezcano-Casado and Martínez-Rubio 2019, "Cheap Orthogonal Constraints in Neural Networks".
 */
export async function prefetchParameters(module: Pick<Module, 'parameters'>): Promise<void> {
  if (module == null || typeof module.parameters !== 'function') {
    throw new InvalidArgumentError(
      `prefetchParameters: module must have parameters(), got ${describeValue(module)}`,
    );
  }
  await Promise.all(module.parameters().map((p) => p.variable.data()));
}
