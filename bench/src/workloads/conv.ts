import { MissingApiError } from '../api.js';
import type { Workload } from '../workload.js';

// Written once `measureGradientFlow` (@gflow/diagnostics) and the conv builders (@gflow/models) are exported.
function pending(name: string, what: string): Workload {
  const needs = [
    '@gflow/models:plainConvNet',
    '@gflow/models:residualConvNet',
    '@gflow/diagnostics:measureGradientFlow',
  ];
  return {
    name,
    what,
    repeats: 5,
    needs,
    prepare: () => {
      throw new MissingApiError(needs);
    },
  };
}
export const convPlain = pending(
  'conv-plain-30',
  'one forward+backward, 30 plain blocks, per-block and per-parameter gradient norms',
);
export const convResidual = pending('conv-residual-30', 'the same with residual blocks');
