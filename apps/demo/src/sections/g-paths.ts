/**
 * Section g. Paths and phases: the residual path-length distribution and the gradient each
 * length carries for 54 blocks (with the per-block branch gain measured on a real residual MLP),
 * and the tanh order-to-chaos phase diagram from mean-field theory.
 */
import { criticalLine, effectivePathContribution, meanField, pathLengthDistribution } from '@gflow/core';
import { gradientTape, tensorNorms } from '@gflow/diagnostics';
import { residualMLP } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { heatmapPlot, linePlot, type Row } from '../plot.js';
import { fmt, mse, normal } from './measure.js';
import type { SectionDef } from './section.js';

const BLOCKS = 54;

/**
 * Measures the gradient gain of each residual branch of a pre-activation residual MLP, where
 * h_{i+1} = h_i + f_i(h_i): with u_i = ∂L/∂h_i, u_i = u_{i+1} + J_iᵀu_{i+1}, so the branch's
 * share is g_i = ‖u_i − u_{i+1}‖ / ‖u_{i+1}‖.
 */
function measureBranchGains(blocks: number, width: number, batch: number, branchScale: number): number[] {
  const model = residualMLP({
    depth: blocks,
    width,
    inputSize: 8,
    outputSize: 4,
    activation: 'relu',
    init: 'he',
    variant: 'pre-activation',
    branchScale,
    seed: 4,
  });
  const x = normal([batch, 8], 41);
  const y = normal([batch, 4], 42);
  const tape = gradientTape((ctx) => mse(y, model.apply(x, ctx)), {
    params: model.parameters(),
    taps: 'tensors',
  });
  try {
    // Scale-safe norms (tensorNorms): a float32 Σg² loses deep residual gradients at either end.
    const diffs: Record<string, tf.Tensor> = {};
    const bases: Record<string, tf.Tensor> = {};
    for (let i = 0; i + 1 < blocks; i++) {
      const ui = tape.tapGrads[`blocks.${i}`];
      const uj = tape.tapGrads[`blocks.${i + 1}`];
      if (!ui || !uj) continue;
      diffs[i] = tf.sub(ui, uj);
      bases[i] = uj;
    }
    let v: number[];
    try {
      const d = tensorNorms(diffs);
      const b = tensorNorms(bases);
      v = Object.keys(diffs).map((k) => (d[k] as number) / (b[k] as number));
    } finally {
      tf.dispose(Object.values(diffs));
    }
    return v;
  } finally {
    tape.dispose();
    x.dispose();
    y.dispose();
    model.dispose();
  }
}

/** Section g. */
export const section: SectionDef = {
  id: 'g-paths',
  title: 'g. Paths and phases',
  steps: () => 3,
  run: async ({ quick, progress }) => {
    const width = quick ? 16 : 32;
    const batch = 32;
    progress.task('g: measuring residual branch gains');
    const scales = [
      { label: 'branch scale 1', scale: 1 },
      { label: `branch scale 1/√${BLOCKS}`, scale: 1 / Math.sqrt(BLOCKS) },
    ];
    const dist = pathLengthDistribution(BLOCKS);
    const pathRows: Row[] = [];
    for (let kk = 0; kk <= BLOCKS; kk++) {
      pathRows.push({
        length: kk,
        fraction: dist.probabilities[kk] ?? null,
        quantity: `share of the 2^${BLOCKS} paths`,
      });
    }
    const gainFindings: Record<string, number | readonly number[]> = {};
    const gainText: string[] = [];
    for (const { label, scale } of scales) {
      const gains = measureBranchGains(BLOCKS, width, batch, scale).filter((v) => Number.isFinite(v));
      const g = gains.reduce((a, b) => a + b, 0) / Math.max(1, gains.length);
      const contrib = effectivePathContribution(BLOCKS, g, { share: 0.9 });
      for (let kk = 0; kk <= BLOCKS; kk++) {
        pathRows.push({
          length: kk,
          fraction: contrib.share[kk] ?? null,
          quantity: `share of the gradient, ${label} (g = ${fmt(g)})`,
        });
      }
      const key = scale === 1 ? 'scale1' : 'scaleInvSqrtL';
      gainFindings[`${key}_branchGainMean`] = g;
      gainFindings[`${key}_branchGainMin`] = Math.min(...gains);
      gainFindings[`${key}_branchGainMax`] = Math.max(...gains);
      gainFindings[`${key}_gradientWeightedMeanLength`] = contrib.meanLength;
      gainFindings[`${key}_range90`] = [contrib.range.kMin, contrib.range.kMax];
      gainText.push(
        `${label}: g = ${fmt(g)} (per block ${fmt(Math.min(...gains))} to ${fmt(Math.max(...gains))}), gradient-weighted mean length ${fmt(contrib.meanLength)}, 90% of the gradient from paths of ${contrib.range.kMin}–${contrib.range.kMax} blocks`,
      );
      progress.tick(1, `g: ${label} done`);
    }
    await tf.nextFrame();
    await tf.nextFrame();

    // meanField costs ~0.1 s per call (its correlation map integrates in 2-D): a coarse grid.
    const nw = quick ? 8 : 18;
    const nb = quick ? 5 : 10;
    const [w0, w1] = [0.5, 4];
    const [b0, b1] = [0, 0.3];
    const dw = (w1 - w0) / nw;
    const db = (b1 - b0) / nb;
    const cells: Row[] = [];
    let chaotic = 0;
    for (let i = 0; i < nw; i++) {
      for (let j = 0; j < nb; j++) {
        const sw = w0 + (i + 0.5) * dw;
        const sb = b0 + (j + 0.5) * db;
        const mf = meanField('tanh', { weightVariance: sw, biasVariance: sb });
        if (mf.phase === 'chaotic') chaotic += 1;
        cells.push({
          sw: w0 + i * dw,
          sw_end: w0 + (i + 1) * dw,
          sb: b0 + j * db,
          sb_end: b0 + (j + 1) * db,
          weightVariance: sw,
          biasVariance: sb,
          chi1: mf.chi1,
          gradientDepthScale: mf.gradientDepthScale,
          absDepthScale: Math.abs(mf.gradientDepthScale),
          phase: mf.phase,
        });
      }
    }
    // The critical line bends sharply near σ_b² = 0 (σ_w² → 1 as σ_b² → 0): sample quadratically,
    // so half the points lie in the first quarter of the range.
    const nLine = quick ? 8 : 20;
    const biasGrid = Array.from({ length: nLine + 1 }, (_, j) => b0 + (b1 - b0) * (j / nLine) ** 2);
    const line = criticalLine('tanh', biasGrid).map((p) => ({ sw: p.weightVariance, sb: p.biasVariance }));
    const lineInRange = line.filter((p) => p.sw >= w0 && p.sw <= w1);
    const at0 = line[0]?.sw ?? null;
    const atTop = line[line.length - 1]?.sw ?? null;
    progress.tick(1, 'g: phase diagram done');
    const m1 = gainFindings.scale1_gradientWeightedMeanLength as number;
    const mS = gainFindings.scaleInvSqrtL_gradientWeightedMeanLength as number;
    const shortAt1 = m1 < 0.8 * dist.mean;
    const shortAtS = mS < 0.8 * dist.mean;
    const critOk = at0 !== null && Math.abs(at0 - 1) <= 0.01;
    const pathsWhy = `with branch scale 1 each branch passes the gradient at gain g ≈ ${fmt(gainFindings.scale1_branchGainMean as number)}, so a path of length k carries g^k of it and long paths are not suppressed; Veit et al. 2016 measured trained ResNets whose branches shrink the gradient. Scaled by 1/√${BLOCKS} (g = ${fmt(gainFindings.scaleInvSqrtL_branchGainMean as number)}) the effective paths are short (${fmt(mS)} blocks).`;
    const pathsConclusion = [
      shortAt1
        ? `Effective paths are short already at branch scale 1: the gradient-weighted mean length is ${fmt(m1)} blocks against ${fmt(dist.mean)} for all paths (Veit et al. 2016).`
        : `At branch scale 1 the gradient-weighted mean path length (${fmt(m1)} blocks) is about the mean of all paths (${fmt(dist.mean)}): ${pathsWhy}`,
      `Tanh's critical line starts at σ_w² = ${fmt(at0)} at σ_b² = 0 (theory: exactly 1, where χ₁ = tanh′(0)² σ_w² = 1) and bends right to ${fmt(atTop)} at σ_b² = ${b1}: adding bias variance needs larger weights to stay at the edge of chaos (Poole et al. 2016; Schoenholz et al. 2017). Xavier-initialized tanh nets with zero biases (σ_w² = 1) sit on this line, so they are critical, not vanishing (section b).`,
    ];
    const pathsVerdicts = [
      {
        claim: `Most of a ${BLOCKS}-block ResNet's gradient comes from short paths (weighted mean < 0.8 × the all-paths mean ${fmt(dist.mean)}), at branch scale 1`,
        predicted: 'short effective paths (Veit et al. 2016)',
        measured: `${fmt(m1)} blocks at scale 1; ${fmt(mS)} at 1/√${BLOCKS}`,
        verdict: shortAt1 ? ('agrees' as const) : ('differs' as const),
        explanation: shortAt1 ? null : pathsWhy,
      },
      {
        claim: `…and with branches scaled by 1/√${BLOCKS}`,
        predicted: 'short effective paths (Veit et al. 2016)',
        measured: `${fmt(mS)} blocks`,
        verdict: shortAtS ? ('agrees' as const) : ('differs' as const),
        explanation: shortAtS
          ? null
          : `g = ${fmt(gainFindings.scaleInvSqrtL_branchGainMean as number)} is still close to 1 at this width (Veit et al. 2016).`,
      },
      {
        claim: 'Tanh critical line at σ_b² = 0 is σ_w² = 1 (within 1%)',
        predicted: '1 (Poole et al. 2016)',
        measured: fmt(at0),
        verdict: critOk ? ('agrees' as const) : ('differs' as const),
        explanation: critOk ? null : 'the root finder stopped early at this grid (Poole et al. 2016).',
      },
    ];
    return {
      conclusion: pathsConclusion,
      verdicts: pathsVerdicts,
      settings: {
        blocks: BLOCKS,
        gainModel: `pre-activation residual MLP, ${BLOCKS} blocks, width ${width}, ReLU, He, batch ${batch}, seed 4, branch scale 1 and 1/√${BLOCKS}`,
        phaseGrid: { weightVariance: [w0, w1, nw], biasVariance: [b0, b1, nb] },
        activation: 'tanh',
      },
      findings: {
        ...gainFindings,
        pathLengthMean: dist.mean,
        pathLengthStd: dist.std,
        criticalWeightVarianceAtBias0: at0,
        criticalWeightVarianceAtBiasMax: atTop,
        chaoticCells: chaotic,
        cells: cells.length,
      },
      summary: [
        `The first plot shows, for ${BLOCKS} residual blocks, the share of the 2^${BLOCKS} paths of each length (Binomial(${BLOCKS}, ½), from @gflow/core) and the share of the gradient that paths of each length carry when each branch scales the gradient by g, the branch gain ‖u_i − u_{i+1}‖/‖u_{i+1}‖ measured on real ${BLOCKS}-block pre-activation residual MLPs at initialization, with branches unscaled and scaled by 1/√${BLOCKS}. The second shows the tanh network's gradient depth scale |ξ_∇| = 1/|ln χ₁| over (σ_w², σ_b²), with the critical line χ₁ = 1 drawn in red.`,
        `Measured: paths average ${fmt(dist.mean)} blocks; ${gainText.join('; ')}. Tanh's critical line runs from σ_w² = ${fmt(at0)} at σ_b² = 0 to ${fmt(atTop)} at σ_b² = ${b1}; ${chaotic} of ${cells.length} grid cells are chaotic.`,
      ],
      plots: [
        linePlot({
          id: 'paths',
          caption: `Residual network with ${BLOCKS} blocks: fraction of paths of each length, and fraction of the gradient carried by paths of each length for the two measured branch gains; log scale.`,
          data: pathRows,
          x: { field: 'length', title: 'path length k (residual branches taken)' },
          y: { field: 'fraction', title: 'fraction (log scale)', log: true, domain: [1e-12, 1] },
          series: { field: 'quantity', title: 'quantity' },
        }),
        heatmapPlot({
          id: 'phase-diagram',
          caption:
            'Order-to-chaos phase diagram of a deep tanh network (mean-field theory): color is |ξ_∇|, the number of layers over which the gradient norm changes by a factor e; the red line is the critical line χ₁ = 1 where ξ_∇ diverges. Left of it gradients vanish (ordered), right of it they explode (chaotic).',
          data: cells,
          x: { field: 'sw', title: 'σ_w² (weight variance × fan-in)' },
          y: { field: 'sb', title: 'σ_b² (bias variance)' },
          value: { field: 'absDepthScale', title: '|ξ_∇| (layers, log)', log: true },
          line: { data: lineInRange, label: 'critical line χ₁ = 1' },
        }),
      ],
    };
  },
};
