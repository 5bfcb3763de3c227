import { MissingApiError } from '../api.js';
import type { Workload } from '../workload.js';

// Written once `trainStep` / `instrument` (@gflow/diagnostics) and `plainMLP` (@gflow/models) are exported.
function pending(name: string, what: string): Workload {
  const needs = [
    '@gflow/models:plainMLP',
    '@gflow/diagnostics:trainStep',
    '@gflow/diagnostics:clipByGlobalNorm',
  ];
  return {
    name,
    what,
    repeats: 3,
    needs,
    prepare: () => {
      throw new MissingApiError(needs);
    },
  };
}
export const mlpTrain = pending('mlp-train-50', '50 SGD steps, unmonitored');
export const mlpTrainMonitored = pending(
  'mlp-train-50-monitored',
  '50 SGD steps with per-parameter norms and global-norm clipping',
);
