import type { Workload } from '../workload.js';
import { convPlain, convResidual } from './conv.js';
import { mlpHessian } from './mlp-hessian.js';
import { mlpTrain, mlpTrainMonitored } from './mlp-train.js';
import { rnnLag } from './rnn-lag.js';
import { spectral } from './spectral.js';

/** Every workload of bench/peer/WORKLOADS.md, in the peer's order. */
export const workloads: readonly Workload[] = [
  convPlain,
  convResidual,
  mlpHessian,
  rnnLag,
  mlpTrain,
  mlpTrainMonitored,
  spectral,
];
