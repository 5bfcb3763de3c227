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
    // "Level" = first/last within a factor LEVEL over the whole depth.
    const LEVEL = 10;
    const level = (r: number | null): boolean => r !== null && r >= 1 / LEVEL && r <= LEVEL;
    const perBlockFactor = (r: number | null): number | null =>
      r !== null && r > 0 ? r ** (1 / (deepest - 1)) : null;
    const plainExplodes = rp !== null && rp > LEVEL;
    return {
      settings,
      findings: { ...ratios, plainInputGradNormDeepest: inPlain, residualInputGradNormDeepest: inRes },
      conclusion: [
        plainExplodes
          ? `The plain net does not keep its gradient level: at ${deepest} blocks the first block's gradient is ${fmt(rp)} times the last's, a factor ${fmt(perBlockFactor(rp))} per block going backward. He initialization alone would keep a ReLU net's gradient level (He et al. 2015); it is batch norm that makes a deep plain network's gradients explode at initialization, exponentially in depth (Yang et al. 2019, "A Mean Field Theory of Batch Normalization"). This is expected, not a bug.`
          : `The plain net keeps its gradient within a factor ${LEVEL} over ${deepest} blocks (first/last ${fmt(rp)}).`,
        level(rr)
          ? `The residual net keeps it level (first/last ${fmt(rr)}): the identity path carries the gradient past every batch-normalized branch, which is why residual networks train at depths where plain ones do not (He et al. 2016).`
          : `The residual net's first/last ratio is ${fmt(rr)} (${fmt(perBlockFactor(rr))} per block): not level, but nothing like the plain net's ${fmt(rp)}. Each unscaled residual branch adds its own variance to the stream, so the gradient grows slowly with depth (Hanin and Rolnick 2018); branches scaled by 1/√L (section f, g) keep it level.`,
        `At the input, ‖∂L/∂x‖ is ${fmt(inPlain)} (plain) against ${fmt(inRes)} (residual) at ${deepest} blocks.`,
      ],
      verdicts: [
        {
          claim: `Plain ReLU + He + batch-norm conv net keeps ‖∂L/∂h‖ level over ${deepest} blocks (first/last within ×${LEVEL})`,
          predicted: '≈ 1 (He init preserves the ReLU backward signal; He et al. 2015)',
          measured: `first/last ${fmt(rp)} (${fmt(perBlockFactor(rp))} per block)`,
          verdict: level(rp) ? ('agrees' as const) : ('differs' as const),
          explanation: level(rp)
            ? null
            : 'Batch norm in a deep plain net makes gradients explode at initialization, exponentially in depth (Yang et al. 2019); residual connections remove it.',
        },
        {
          claim: `Residual ReLU + He + batch-norm conv net keeps ‖∂L/∂h‖ level over ${deepest} blocks (within ×${LEVEL})`,
          predicted: '≈ 1 (identity paths; He et al. 2016)',
          measured: `first/last ${fmt(rr)} (${fmt(perBlockFactor(rr))} per block)`,
          verdict: level(rr) ? ('agrees' as const) : ('differs' as const),
          explanation: level(rr)
            ? null
            : 'Unscaled residual branches add variance per block, so the gradient grows slowly with depth (Hanin and Rolnick 2018); scale branches by 1/√L.',
        },
      ],
      remedies: plainExplodes
        ? [
            {
              problem: 'gradients explode backward in a deep plain net with batch norm',
              seen: `a: plain, ${deepest} blocks: first/last block ${fmt(rp)}`,
              remedy:
                'add residual connections (the same net with skips stays level); re-initializing does not help',
              see: 'Yang et al. 2019; He et al. 2016',
            },
          ]
        : [],
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
