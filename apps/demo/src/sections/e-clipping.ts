/**
 * Section e. Clipping and recovery: an exploding recurrent network (ReLU, recurrent spectral
 * radius above 1) trained on the adding problem four ways: without clipping, with
 * clipByGlobalNorm, with adaptive gradient clipping and with autoClip (@gflow/diagnostics'
 * gradient transforms), recording the loss and the gradient norm before and after clipping.
 */
import {
  adaptiveGradientClip,
  autoClip,
  clipByGlobalNorm,
  createTrainState,
  disposeTrainState,
  type GradientTransform,
  type GuardEvent,
  TrainingGuard,
  trainStep,
} from '@gflow/diagnostics';
import { addingProblem, vanillaRNN } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { linePlot, type Row } from '../plot.js';
import { fmt } from './measure.js';
import type { SectionDef } from './section.js';

type Method =
  | 'no clipping'
  | 'clipByGlobalNorm(1)'
  | 'adaptiveGradientClip(0.05)'
  | 'autoClip(10th percentile)';
const METHODS: readonly Method[] = [
  'no clipping',
  'clipByGlobalNorm(1)',
  'adaptiveGradientClip(0.05)',
  'autoClip(10th percentile)',
];

function transformFor(m: Method): GradientTransform<unknown> | undefined {
  switch (m) {
    case 'no clipping':
      return undefined;
    case 'clipByGlobalNorm(1)':
      return clipByGlobalNorm(1) as GradientTransform<unknown>;
    case 'adaptiveGradientClip(0.05)':
      return adaptiveGradientClip(0.05) as GradientTransform<unknown>;
    case 'autoClip(10th percentile)':
      return autoClip(10, 1000) as GradientTransform<unknown>;
  }
}

interface StepRecord {
  readonly step: number;
  readonly loss: number | null;
  readonly rawNorm: number;
  readonly applied: boolean;
}

interface RunResult {
  readonly steps: StepRecord[];
  readonly events: readonly GuardEvent[];
}

/**
 * Trains one copy of the network with one method through `trainStep` (transform → update →
 * guard), a fresh TrainingGuard watching every run.
 */
async function train(
  method: Method,
  o: { T: number; steps: number; batch: number; lr: number; gain: number },
): Promise<RunResult> {
  const task = addingProblem({ length: o.T, seed: 17 });
  const model = vanillaRNN({
    inputSize: task.inputSize,
    hiddenSize: 32,
    outputSize: task.outputSize,
    activation: 'relu',
    recurrentInit: { name: 'orthogonal', gain: o.gain },
    seed: 5,
  });
  const transform = transformFor(method);
  const guard = new TrainingGuard({
    maxConsecutive: 1000,
    snapshotEvery: 20,
    onExploding: ['skip', 'restore', 'lower-lr', 'clip'],
  });
  const optimizer = tf.train.sgd(o.lr);
  const steps: StepRecord[] = [];
  const state = createTrainState(transform ? { transform } : {});
  try {
    for (let step = 0; step < o.steps; step++) {
      const b = task.batch(o.batch);
      try {
        const r = trainStep(model, b, state, { optimizer, loss: 'meanSquaredError', guard });
        // Steps count from 1, as the guard's events do.
        steps.push({ step: step + 1, loss: r.loss, rawNorm: r.globalNorm, applied: r.applied });
      } finally {
        tf.dispose([b.inputs, b.targets]);
      }
      if (step % 10 === 0) await tf.nextFrame();
    }
    return { steps, events: [...guard.events] };
  } finally {
    disposeTrainState(state);
    guard.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

/** Section e. */
export const section: SectionDef = {
  id: 'e-clipping',
  title: 'e. Clipping and recovery',
  steps: () => METHODS.length,
  run: async ({ quick, progress }) => {
    const o = { T: quick ? 30 : 40, steps: quick ? 30 : 150, batch: 32, lr: 0.5, gain: 1.2 };
    const settings = {
      task: `adding problem, T = ${o.T}, batch ${o.batch}`,
      model: `vanilla RNN, ReLU, 32 hidden units, recurrent kernel ${o.gain} × orthogonal (spectral radius ${o.gain})`,
      optimizer: `SGD, learning rate ${o.lr}`,
      guard:
        'TrainingGuard judging every step: a bad one is rolled back to the last good step, a second in a row to the snapshot taken every 20 good steps (restore also on exploding steps); the learning rate is lowered until 20 good steps restore it; clipping is switched on',
      steps: o.steps,
      seed: 5,
    };
    const lossRows: Row[] = [];
    const normRows: Row[] = [];
    const eventRows: Row[] = [];
    const findings: Record<string, number | null> = {};
    for (const method of METHODS) {
      progress.task(`e: training with ${method}`);
      const run = await train(method, o);
      for (const r of run.steps) {
        const finite = r.loss !== null && Number.isFinite(r.loss);
        lossRows.push({ method, step: r.step, loss: finite ? r.loss : null, applied: r.applied });
        normRows.push({
          method,
          step: r.step,
          norm: Number.isFinite(r.rawNorm) ? r.rawNorm : null,
          applied: r.applied,
        });
      }
      run.events.forEach((e, i) => {
        eventRows.push({
          method,
          step: e.step,
          reason: e.reason,
          actions: e.actions.join('+'),
          globalNorm: Number.isFinite(e.globalNorm) ? e.globalNorm : null,
          learningRate: e.learningRate ?? null,
          clipNorm: e.clipNorm ?? null,
          first: i === 0,
        });
      });
      const good = run.steps.filter((r) => r.applied && r.loss !== null && Number.isFinite(r.loss));
      const tail = good.slice(-10).map((r) => r.loss as number);
      findings[`${method}_guardEvents`] = run.events.length;
      findings[`${method}_firstGuardEventStep`] = run.events[0]?.step ?? null;
      findings[`${method}_finalLoss`] =
        tail.length > 0 ? tail.reduce((a, b) => a + b, 0) / tail.length : null;
      findings[`${method}_maxRawNorm`] = Math.max(...run.steps.map((r) => r.rawNorm).filter(Number.isFinite));
      progress.tick(1, `e: ${method} done`);
    }
    const line = (m: Method): string =>
      `${m}: final loss ${fmt(findings[`${m}_finalLoss`])}, ${findings[`${m}_guardEvents`]} guard event(s)${
        findings[`${m}_firstGuardEventStep`] !== null
          ? ` (first at step ${findings[`${m}_firstGuardEventStep`]})`
          : ''
      }`;
    const rules = eventRows.map((e) => ({
      x: e.step as number,
      label: e.first ? `guard: ${e.reason}` : '',
      series: e.method as string,
    }));
    return {
      settings,
      findings: { ...findings, baselineLoss: 1 / 6 },
      summary: [
        `The plots show the training loss and the raw global gradient norm of the same exploding ReLU RNN (spectral radius ${o.gain}) trained ${o.steps} SGD steps on the adding problem (T = ${o.T}) with each gradient transform from @gflow/diagnostics; a TrainingGuard watches every run, and dotted vertical rules mark the steps it rejected (colored by run). The trivial baseline loss is 1/6.`,
        `Measured (final loss = mean of the last 10 accepted steps): ${METHODS.map(line).join('; ')}. Largest raw gradient norm without clipping: ${fmt(findings['no clipping_maxRawNorm'])}.`,
      ],
      plots: [
        linePlot({
          id: 'loss',
          caption: `Training loss per step (mean squared error on the adding problem, T = ${o.T}); log scale. Dotted rules: TrainingGuard events (the step was undone). Non-finite losses are not drawn (results.json keeps them as null).`,
          data: lossRows,
          points: false,
          x: { field: 'step', title: 'training step' },
          y: { field: 'loss', title: 'loss (mean squared error, log scale)', log: true },
          series: { field: 'method', title: 'gradient transform' },
          rules,
        }),
        linePlot({
          id: 'norms',
          caption:
            'Raw global gradient norm ‖g‖ per step (before any transform); log scale. Dotted rules: TrainingGuard events.',
          data: normRows,
          points: false,
          x: { field: 'step', title: 'training step' },
          y: { field: 'norm', title: 'global gradient norm ‖g‖ (log scale)', log: true },
          series: { field: 'method', title: 'gradient transform' },
          rules,
        }),
      ],
      tables: { 'TrainingGuard events': eventRows },
    };
  },
};
