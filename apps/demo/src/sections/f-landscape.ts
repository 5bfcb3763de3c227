/**
 * Section f. Landscape and curvature: the 1D filter-normalized loss landscape of a plain and a
 * residual net, their top Hessian eigenvalues and their Hessian spectral densities.
 */
import { meanSquaredError } from '@gflow/backend';
import { hessianEigenvalues, hessianSpectralDensity, lossLine, randomDirection } from '@gflow/landscape';
import { type Model, plainMLP, residualMLP } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { barPlot, linePlot, type Row } from '../plot.js';
import { fmt, normal } from './measure.js';
import type { SectionDef } from './section.js';

/** Section f. */
export const section: SectionDef = {
  id: 'f-landscape',
  title: 'f. Landscape and curvature',
  steps: () => 6,
  run: async ({ quick, progress }) => {
    const depth = quick ? 6 : 12;
    const width = 16;
    const k = quick ? 2 : 4;
    const settings = {
      depth,
      width,
      inputSize: 8,
      outputSize: 4,
      batch: 64,
      activation: 'relu',
      init: 'he',
      // Branches scaled by 1/√depth keep the residual stream's variance bounded at He init
      // (without it the residual net's loss and curvature grow exponentially with depth).
      residualBranchScale: 1 / Math.sqrt(depth),
      loss: 'meanSquaredError (@gflow/backend) against a fixed random target',
      direction: 'randomDirection, filter-normalized (Li et al. 2018), biases and norms ignored, seed 7',
      linePoints: quick ? 21 : 41,
      topEigenvalues: k,
      densityLanczosSteps: quick ? 30 : 80,
      seed: 3,
    };
    const x = normal([settings.batch, 8], 31);
    const y = normal([settings.batch, 4], 32);
    const lineRows: Row[] = [];
    const eigRows: Row[] = [];
    const densityRows: Row[] = [];
    const findings: Record<string, number | null> = {};
    try {
      for (const arch of ['plain', 'residual'] as const) {
        const opts = {
          depth,
          width,
          inputSize: 8,
          outputSize: 4,
          activation: 'relu',
          init: 'he',
          seed: 3,
        } as const;
        const model: Model =
          arch === 'plain'
            ? plainMLP(opts)
            : residualMLP({ ...opts, branchScale: settings.residualBranchScale });
        try {
          const lossFn = (): tf.Scalar => meanSquaredError(y, model.apply(x));
          progress.task(`f: ${arch} net, loss line`);
          const dir = randomDirection(model, { normalization: 'filter', ignore: ['bias', 'norm'], seed: 7 });
          const line = lossLine(lossFn, model, dir, { range: [-1, 1], points: settings.linePoints });
          line.alphas.forEach((a, i) => {
            lineRows.push({ network: arch, alpha: a, loss: line.losses[i] ?? null });
          });
          const l = line.losses;
          findings[`${arch}_centerLoss`] = line.centerLoss;
          findings[`${arch}_lossAtAlpha1`] = l[l.length - 1] ?? null;
          findings[`${arch}_lossAtAlphaMinus1`] = l[0] ?? null;
          progress.tick(1, `f: ${arch} Hessian eigenvalues`);
          await tf.nextFrame();
          const eig = hessianEigenvalues(lossFn, model, { k, maxIter: quick ? 30 : 60, seed: 5 });
          eig.eigenvalues.forEach((v, i) => {
            eigRows.push({ network: arch, rank: i + 1, eigenvalue: v, converged: eig.converged[i] ?? false });
          });
          findings[`${arch}_lambdaMax`] = eig.lambdaMax;
          findings[`${arch}_lambdaMin`] = eig.lambdaMin;
          findings[`${arch}_lambdaMinConverged`] = eig.extremeConverged === true ? 1 : 0;
          findings[`${arch}_parameters`] = eig.dim;
          progress.tick(1, `f: ${arch} spectral density`);
          await tf.nextFrame();
          const dens = hessianSpectralDensity(lossFn, model, {
            steps: settings.densityLanczosSteps,
            seed: 9,
            gridPoints: 240,
          });
          const peak = Math.max(...dens.density);
          dens.grid.forEach((t, i) => {
            const d = dens.density[i] ?? 0;
            if (d >= peak * 1e-6) densityRows.push({ network: arch, eigenvalue: t, density: d });
          });
          findings[`${arch}_traceEstimate`] = dens.traceEstimate;
          progress.tick(1, `f: ${arch} done`);
          await tf.nextFrame();
        } finally {
          model.dispose();
        }
      }
    } finally {
      x.dispose();
      y.dispose();
    }
    const sharp = (a: 'plain' | 'residual'): number | null => {
      const c = findings[`${a}_centerLoss`];
      const e1 = findings[`${a}_lossAtAlpha1`];
      const e0 = findings[`${a}_lossAtAlphaMinus1`];
      return c && e1 !== null && e0 !== null && e1 !== undefined && e0 !== undefined
        ? (e1 + e0) / 2 / c
        : null;
    };
    const lamMin = (a: 'plain' | 'residual'): string =>
      `${fmt(findings[`${a}_lambdaMin`])}${findings[`${a}_lambdaMinConverged`] === 1 ? '' : ' (not converged)'}`;
    findings.plain_edgeOverCenter = sharp('plain');
    findings.residual_edgeOverCenter = sharp('residual');
    const lp = findings.plain_lambdaMax ?? null;
    const lr = findings.residual_lambdaMax ?? null;
    const ep = findings.plain_edgeOverCenter ?? null;
    const er = findings.residual_edgeOverCenter ?? null;
    const smoother = lp !== null && lr !== null && lr < lp;
    const flatter = ep !== null && er !== null && er < ep;
    return {
      settings,
      findings,
      conclusion: [
        smoother
          ? `The residual net's loss surface is smoother at initialization: its largest Hessian eigenvalue is ${fmt(lr)} against ${fmt(lp)} for the plain net, so a gradient step of the same size is stable at a ${fmt(lp !== null && lr !== null ? lp / lr : null)}× larger learning rate (stability needs lr < 2/λ_max).`
          : `Here the residual net is not smoother by curvature: λ_max ${fmt(lr)} (residual) vs ${fmt(lp)} (plain).`,
        flatter
          ? `Along a random filter-normalized direction the plain net's loss rises to ${fmt(ep)}× its center value at α = ±1, the residual net's only ${fmt(er)}×, the contrast Li et al. 2018 drew between chaotic plain and smooth residual landscapes.`
          : `Along a random direction the loss rises ${fmt(ep)}× (plain) and ${fmt(er)}× (residual) at α = ±1.`,
      ],
      verdicts: [
        {
          claim:
            'Skip connections make the loss surface smoother (smaller λ_max, flatter along random directions)',
          predicted: 'residual < plain (Li et al. 2018)',
          measured: `λ_max ${fmt(lr)} vs ${fmt(lp)}; edge/center ${fmt(er)} vs ${fmt(ep)}`,
          verdict: smoother && flatter ? ('agrees' as const) : ('differs' as const),
          explanation:
            smoother && flatter
              ? null
              : 'at initialization with residual branches scaled by 1/√L both nets are shallow-looking; Li et al. 2018 compare deeper, trained nets.',
        },
      ],
      summary: [
        `The first plot shows the loss along one random filter-normalized direction through the initial parameters of a plain and a residual ReLU MLP (${depth} blocks, width ${width}, He initialization, residual branches scaled by 1/√${depth}); the second the ${k} Hessian eigenvalues of largest magnitude; the third the Hessian's spectral density estimated by stochastic Lanczos quadrature.`,
        `Measured: at α = ±1 the loss is ${fmt(findings.plain_edgeOverCenter)}× its center value for the plain net and ${fmt(findings.residual_edgeOverCenter)}× for the residual net; λ_max = ${fmt(findings.plain_lambdaMax)} (plain) vs ${fmt(findings.residual_lambdaMax)} (residual), λ_min = ${lamMin('plain')} vs ${lamMin('residual')} (the other end of the spectrum, as Lanczos' lowest Ritz value).`,
      ],
      plots: [
        linePlot({
          id: 'loss-line',
          caption: 'Loss L(θ + α·d) along a random filter-normalized direction d, α ∈ [−1, 1]; log scale.',
          data: lineRows,
          x: { field: 'alpha', title: 'step α along d (units of filter norm)' },
          y: { field: 'loss', title: 'loss (mean squared error, log scale)', log: true },
          series: { field: 'network', title: 'network' },
        }),
        barPlot({
          id: 'top-eigenvalues',
          caption: `The ${k} Hessian eigenvalues of largest magnitude (restarted Lanczos; converged means a relative residual ‖Hv − λv‖/|λ| ≤ 10⁻³), by rank.`,
          data: eigRows,
          x: { field: 'rank', title: 'rank (1 = largest |λ|)', type: 'ordinal' },
          y: { field: 'eigenvalue', title: 'Hessian eigenvalue λ (loss units per parameter²)' },
          series: { field: 'network', title: 'network' },
        }),
        linePlot({
          id: 'spectral-density',
          caption:
            'Hessian eigenvalue density by stochastic Lanczos quadrature with Gaussian broadening; log scale (values below 10⁻⁶ of the peak omitted).',
          data: densityRows,
          points: false,
          x: { field: 'eigenvalue', title: 'eigenvalue λ (loss units per parameter²)' },
          y: { field: 'density', title: 'density (per unit λ, log scale)', log: true },
          series: { field: 'network', title: 'network' },
        }),
      ],
    };
  },
};
