/**
 * Section a. Depth: ‖∂L/∂h‖ at every block of plain and residual conv nets at several depths,
 * and the input-gradient norm against depth.
 */
import { plainConvNet, residualConvNet } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { linePlot, type Row } from '../plot.js';
import { blockIndex, fmt, measureTaps, normal } from './measure.js';
import type { SectionDef } from './section.js';

const DEPTHS = [10, 20, 50, 100];
const QUICK_DEPTHS = [5, 10, 20];

/** Section a. */
export const section: SectionDef = {
  id: 'a-depth',
  title: 'a. Depth: plain vs residual conv nets',
  steps: (quick) => 2 * (quick ? QUICK_DEPTHS : DEPTHS).length,
  run: async ({ quick, progress }) => {
    const depths = quick ? QUICK_DEPTHS : DEPTHS;
    const settings = {
      depths,
      channels: 8,
      inputShape: [8, 8, 3],
      batch: 8,
      activation: 'relu',
      init: 'he',
      norm: 'batch (training-mode batch statistics), as in He et al. 2016',
      residual: 'post-activation, branchScale 1 (the builder default)',
      outputSize: 10,
      loss: 'mean squared error against N(0,1) targets',
      seed: 1,
    };
    const perBlock: Row[] = [];
    const inputRows: Row[] = [];
    const ratios: Record<string, number | null> = {};
    const x = normal([settings.batch, 8, 8, 3], 11);
    const y = normal([settings.batch, 10], 12);
    try {
      for (const depth of depths) {
        for (const arch of ['plain', 'residual'] as const) {
          progress.task(`a: ${arch} conv net, ${depth} blocks`);
          const opts = {
            depth,
            channels: 8,
            inputChannels: 3,
            activation: 'relu',
            init: 'he',
            norm: 'batch',
            outputSize: 10,
            seed: 1,
          } as const;
          const model = arch === 'plain' ? plainConvNet(opts) : residualConvNet(opts);
          try {
            const m = measureTaps(model, x, y);
            for (const t of m.taps) {
              const i = blockIndex(t.name);
              if (i >= 0)
                perBlock.push({
                  arch,
                  depth,
                  block: i,
                  gradNorm: t.gradNorm,
                  series: `${arch}, ${depth} blocks`,
                });
            }
            inputRows.push({ arch, depth, inputGradNorm: m.inputGradNorm });
            const first = m.taps.find((t) => t.name === 'blocks.0')?.gradNorm ?? null;
            const last = m.taps.find((t) => t.name === `blocks.${depth - 1}`)?.gradNorm ?? null;
            ratios[`${arch}_${depth}_firstOverLast`] =
              first !== null && last !== null && last > 0 ? first / last : null;
          } finally {
            (model as { dispose?: () => void }).dispose?.();
          }
          progress.tick(1, `a: ${arch} ${depth} done`);
          await tf.nextFrame();
        }
      }
    } finally {
      x.dispose();
      y.dispose();
    }
    const deepest = depths[depths.length - 1] as number;
    const rp = ratios[`plain_${deepest}_firstOverLast`] ?? null;
    const rr = ratios[`residual_${deepest}_firstOverLast`] ?? null;
    const inPlain = inputRows.find((r) => r.arch === 'plain' && r.depth === deepest)?.inputGradNorm as
      | number
      | null;
    const inRes = inputRows.find((r) => r.arch === 'residual' && r.depth === deepest)?.inputGradNorm as
      | number
      | null;
    return {
      settings,
      findings: { ...ratios, plainInputGradNormDeepest: inPlain, residualInputGradNormDeepest: inRes },
      summary: [
        'The first plot shows ‖∂L/∂h‖ at the output of every block (block 0 nearest the input) for plain and residual ReLU conv nets with He initialization and batch norm, one panel per depth; the second shows ‖∂L/∂x‖ at the input against depth.',
        `Measured: plain, ${deepest} blocks: the first block's gradient is ${fmt(rp)} of the last's; residual: ${fmt(rr)}. The input gradient at ${deepest} blocks is ${fmt(inPlain)} (plain) and ${fmt(inRes)} (residual).`,
      ],
      plots: [
        linePlot({
          id: 'block-norms',
          caption: `Gradient norm ‖∂L/∂h_i‖ at the output of block i, plain vs residual conv nets (ReLU, He, batch norm, 8 channels, 8×8 inputs, batch ${settings.batch}); log scale. One panel per depth.`,
          data: perBlock,
          x: { field: 'block', title: 'block index i (0 = nearest the input)' },
          y: { field: 'gradNorm', title: '‖∂L/∂h_i‖ (L2 norm, log scale)', log: true },
          series: { field: 'arch', title: 'network' },
          facet: { field: 'depth', title: 'depth (blocks)', columns: 2 },
          width: 300,
        }),
        linePlot({
          id: 'input-gradient',
          caption:
            'Norm of the gradient of the loss with respect to the input, ‖∂L/∂x‖, against the number of blocks; log scale.',
          data: inputRows,
          x: { field: 'depth', title: 'depth (blocks, log scale)', log: true },
          y: { field: 'inputGradNorm', title: '‖∂L/∂x‖ (L2 norm, log scale)', log: true },
          series: { field: 'arch', title: 'network' },
        }),
      ],
    };
  },
};
