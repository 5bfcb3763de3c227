import { familyLabels, isRecurrent } from './config.js';
import type { LossLine, Measurement, TopEigenvalue, TrainResult } from './measure.js';
import { CLIP_NORM } from './measure.js';

/** A number in 3 significant digits, in exponent form outside [0.01, 1000). */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const e = Math.floor(Math.log10(Math.abs(x)));
  return e >= -2 && e <= 3 ? x.toPrecision(3) : `${(x / 10 ** e).toFixed(2)}e${e}`;
}

/** One series of a plot. */
export interface Series {
  readonly points: readonly (readonly [number, number])[];
  /** CSS class: `measured`, `theory`, `bars`, `second`. */
  readonly cls: string;
  readonly label: string;
  readonly dots?: boolean;
}

/** A plot: series, axis labels, a log or linear y-axis. */
export interface PlotSpec {
  readonly series: readonly Series[];
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logY: boolean;
  /** Whether x counts things (blocks, steps, lengths): integer ticks only. */
  readonly integerX?: boolean;
  readonly width?: number;
  readonly height?: number;
  readonly ariaLabel: string;
}

function niceStep(span: number, target: number): number {
  const raw = span / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}

function tickLabel(v: number, step: number): string {
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? fmt(v) : v.toFixed(digits);
}

/**
 * An inline SVG line plot with labelled axes and a legend. A log y-axis draws only positive finite
 * values; a linear one only finite values.
 *
 * @param s - The series, axis labels and scale.
 * @returns SVG markup (or a paragraph when nothing is finite).
 */
export function plotSvg(s: PlotSpec): string {
  const W = s.width ?? 640;
  const H = s.height ?? 320;
  const PAD = { left: 70, right: 16, top: 34, bottom: 48 };
  const ok = (v: number) => Number.isFinite(v) && (!s.logY || v > 0);
  const tr = (v: number) => (s.logY ? Math.log10(v) : v);
  const pts = s.series.flatMap((x) => x.points.filter(([px, py]) => Number.isFinite(px) && ok(py)));
  if (pts.length === 0) return '<p class="empty">No finite value to plot.</p>';
  let x0 = Math.min(...pts.map((p) => p[0]));
  let x1 = Math.max(...pts.map((p) => p[0]));
  if (x1 === x0) {
    x0 -= 1;
    x1 += 1;
  }
  let y0 = Math.min(...pts.map((p) => tr(p[1])));
  let y1 = Math.max(...pts.map((p) => tr(p[1])));
  if (s.logY) {
    y0 = Math.floor(y0);
    y1 = Math.ceil(y1);
    if (y1 - y0 < 1) {
      y0 -= 1;
      y1 += 1;
    }
  } else {
    const pad = y1 > y0 ? 0.05 * (y1 - y0) : Math.abs(y0) * 0.1 || 1;
    y0 -= pad;
    y1 += pad;
  }
  const X = (v: number) => PAD.left + ((v - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const Y = (v: number) => PAD.top + ((y1 - tr(v)) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const out: string[] = [];
  if (s.logY) {
    const step = Math.max(1, Math.ceil((y1 - y0) / 8));
    for (let e = y0; e <= y1; e += step) {
      const y = Y(10 ** e);
      out.push(
        `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" class="grid"/>`,
        `<text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end">1e${e}</text>`,
      );
      // Within one or two decades, also 2× and 5× (labelled), so that values can be read off.
      if (y1 - y0 <= 2 && e < y1) {
        for (const m of [2, 5]) {
          const ym = Y(m * 10 ** e);
          out.push(
            `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${ym}" y2="${ym}" class="grid minor"/>`,
            `<text x="${PAD.left - 6}" y="${ym + 4}" text-anchor="end">${m}e${e}</text>`,
          );
        }
      }
    }
  } else {
    const step = niceStep(y1 - y0, 5);
    for (let i = Math.ceil(y0 / step); i * step <= y1; i++) {
      const v = i * step;
      const y = Y(v);
      out.push(
        `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" class="grid"/>`,
        `<text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end">${tickLabel(v, step)}</text>`,
      );
    }
  }
  const xstep = s.integerX ? Math.max(1, Math.round(niceStep(x1 - x0, 6))) : niceStep(x1 - x0, 6);
  for (let i = Math.ceil(x0 / xstep - 1e-9); i * xstep <= x1 + 1e-9 * xstep; i++) {
    const v = i * xstep; // from the index, so that 0 is exactly 0
    out.push(
      `<line x1="${X(v)}" x2="${X(v)}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom + 4}" class="axis"/>`,
      `<text x="${X(v)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${tickLabel(v, xstep)}</text>`,
    );
  }
  out.push(
    `<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${H - PAD.bottom}" class="axis"/>`,
    `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}" class="axis"/>`,
    `<text x="${(W + PAD.left) / 2}" y="${H - 8}" text-anchor="middle" class="label">${s.xLabel}</text>`,
    `<text transform="translate(14 ${(H + PAD.top - PAD.bottom) / 2}) rotate(-90)" text-anchor="middle" class="label">${s.yLabel}</text>`,
  );
  let lx = PAD.left;
  s.series.forEach((ser) => {
    const p = ser.points.filter(([px, py]) => Number.isFinite(px) && ok(py));
    const coords = p.map(([px, py]) => `${X(px).toFixed(1)},${Y(py).toFixed(1)}`);
    if (ser.cls === 'bars') {
      const bw = Math.max(1, ((W - PAD.left - PAD.right) / Math.max(1, x1 - x0)) * 0.7);
      const base = s.logY ? H - PAD.bottom : Y(Math.max(y0, 0));
      for (const [px, py] of p) {
        const y = Math.min(Y(py), base);
        out.push(
          `<rect class="bars" x="${(X(px) - bw / 2).toFixed(1)}" y="${y.toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.abs(base - y).toFixed(1)}"/>`,
        );
      }
    } else {
      out.push(`<polyline class="${ser.cls}" points="${coords.join(' ')}"/>`);
      if (ser.dots) {
        out.push(
          `<g class="dots ${ser.cls}">${coords.map((c) => `<circle cx="${c.split(',')[0]}" cy="${c.split(',')[1]}" r="2.5"/>`).join('')}</g>`,
        );
      }
    }
    const swatch =
      ser.cls === 'bars'
        ? `<rect class="bars" x="${lx}" y="8" width="20" height="10"/>`
        : `<line x1="${lx}" x2="${lx + 22}" y1="13" y2="13" class="${ser.cls}"/>`;
    out.push(`${swatch}<text x="${lx + 27}" y="17">${ser.label}</text>`);
    lx += 40 + 6.6 * ser.label.length;
  });
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${s.ariaLabel}">${out.join('')}</svg>`;
}

function axisName(m: Measurement): string {
  return m.axis === 'time step'
    ? 'time step t'
    : m.axis === 'sublayer'
      ? 'sublayer (attention, MLP, …)'
      : 'block';
}

/** The flow plot: ‖∂L/∂h‖ per block, time step or sublayer, with the theory overlaid. */
export function flowPlot(m: Measurement): string {
  const xs = (i: number) => (m.axis === 'time step' ? i : i + 1);
  const measured = m.taps.map((t, i) => [xs(i), t.gradNorm ?? Number.NaN] as const);
  const series: Series[] = [{ points: measured, cls: 'measured', label: 'measured ‖∂L/∂h‖', dots: true }];
  const last = m.taps.at(-1)?.gradNorm ?? null;
  const th = m.theory;
  if (last !== null && th !== null && (th.kind === 'mean field' || th.kind === 'rho^lag')) {
    const lo = Math.min(...m.taps.map((t) => t.gradNorm ?? Number.POSITIVE_INFINITY).filter((g) => g > 0));
    // Draw the prediction only down to a decade below the smallest measured value.
    const pts = th.predicted
      .map((p, i) => [xs(i), p * last] as const)
      .filter(([, v]) => v >= lo / 10 && v <= 1e30);
    const label =
      th.kind === 'mean field'
        ? `mean field: ‖∂L/∂h_last‖·√χ₁ per layer back`
        : `‖∂L/∂h_T‖·ρ^lag, ρ = ${fmt(th.rho)}`;
    series.push({ points: pts, cls: 'theory', label });
  }
  return plotSvg({
    series,
    xLabel:
      m.axis === 'time step'
        ? 'time step t (input side → last step, where the loss is)'
        : `${axisName(m)} (input side → output side)`,
    yLabel: '‖∂L/∂h‖ (log scale)',
    logY: true,
    integerX: true,
    ariaLabel: `gradient norm per ${m.axis}`,
  });
}

/** The residual families' second view: path lengths (Veit et al. 2016), or '' for other families. */
export function pathsPlot(m: Measurement): string {
  const th = m.theory;
  if (th === null || th.kind !== 'paths') return '';
  const series: Series[] = [
    {
      points: th.pathFraction.map((p, k) => [k, p] as const),
      cls: 'bars',
      label: 'fraction of the 2^L paths',
    },
  ];
  if (th.gradientShare !== null) {
    series.push({
      points: th.gradientShare.map((p, k) => [k, p] as const),
      cls: 'theory',
      label: `share of the gradient, g = ${fmt(th.impliedGain)}`,
    });
  }
  return plotSvg({
    series,
    xLabel: 'path length k (residual branches on the path)',
    yLabel: 'fraction',
    logY: false,
    integerX: true,
    height: 260,
    ariaLabel: 'path length distribution',
  });
}

function describeNet(m: Measurement): string {
  const c = m.config;
  const label = familyLabels[c.family];
  if (isRecurrent(c.family)) return `this ${label} (${c.width} units, ${c.length} steps)`;
  if (c.family === 'transformer')
    return `this ${c.placement}-norm transformer (${c.depth} layers of width ${c.width})`;
  const norm = c.norm === 'none' ? '' : `, ${c.norm} norm`;
  const unit = c.family === 'conv' || c.family === 'resconv' ? 'channels' : 'units';
  return `this ${label} (${c.depth} blocks of ${c.width} ${unit}, ${c.activation}, ${c.init} init${norm})`;
}

/** A short explanation of the flow built from the measured numbers, as the report does. */
export function explainFlow(m: Measurement): string {
  const r = m.firstToLast;
  const n = m.taps.length;
  if (r === null)
    return '<p>The gradient did not reach every point measured (a zero or missing gradient).</p>';
  const steps = Math.max(1, n - 1);
  const perStep = r ** (1 / steps);
  const where = m.axis === 'time step' ? `the first time step` : `the first ${m.axis}`;
  const whereLast = m.axis === 'time step' ? `the last step` : `the last ${m.axis}`;
  const decades = Math.log10(r);
  const verdict =
    decades < -2
      ? `<strong>vanishes</strong>: ${where} gets ${fmt(r)} of the gradient ${whereLast} gets (${(-decades).toFixed(1)} decades less)`
      : decades > 2
        ? `<strong>explodes</strong>: ${where} gets ${fmt(r)} times the gradient of ${whereLast} (${decades.toFixed(1)} decades more)`
        : `<strong>flows</strong>: ${where} gets ${fmt(r)} times the gradient of ${whereLast}`;
  const parts = [
    `<p>In ${describeNet(m)} the gradient ${verdict}: a factor of ${fmt(perStep)} per ${m.axis} on average over ${steps} ${m.axis}s.</p>`,
  ];
  const th = m.theory;
  if (th?.kind === 'mean field') {
    parts.push(
      `<p>Mean-field theory: σ_w² = ${fmt(th.weightVariance)} gives χ₁ = ${fmt(th.chi1)} (${th.phase} phase), so each layer multiplies ‖∂L/∂h‖ by about √χ₁ = ${fmt(Math.sqrt(th.chi1))}; over ${steps} layers that predicts ${fmt(th.predicted[0])}, measured ${fmt(r)}.</p>`,
    );
  } else if (th?.kind === 'rho^lag') {
    const pred = th.predicted[0] ?? 1;
    const agree = Math.abs(Math.log(perStep / th.rho)) < 0.02;
    parts.push(
      `<p>Linear theory: the recurrent matrix has spectral radius ρ = ${fmt(th.rho)}, so ‖∂L/∂h_t‖ ∝ ρ^lag predicts ${fmt(pred)} at lag ${steps}; measured ${fmt(r)}, ${fmt(perStep)} per step${
        agree
          ? ' (as predicted).'
          : perStep < th.rho
            ? `, below ρ: the activation's derivative φ′ < 1 where the state is not small shrinks every step's Jacobian diag(φ′)·W.`
            : ', above ρ.'
      }</p>`,
    );
  } else if (th?.kind === 'paths') {
    const g = th.impliedGain;
    parts.push(
      g === null
        ? `<p>Residual blocks add their input to their output, so the backward pass has an identity path around every block. Here the gradient does not grow toward the input, so no per-block branch gain can be read from it.</p>`
        : `<p>Residual blocks add their input to their output: the gradient at block 1 is a sum over the 2^${m.config.depth} paths through the blocks, and never needs to pass a branch. Reading the measured growth as (1 + g)^${steps} gives a branch gain g = ${fmt(g)} per block; paths of length k then carry C(L, k)·g^k of the gradient, so the gradient comes from paths of mean length ${fmt(th.effectiveLength)} (90% from ${th.range === null ? '—' : th.range.kMin === th.range.kMax ? `length ${th.range.kMin}` : `lengths ${th.range.kMin}–${th.range.kMax}`}), although the typical path has length ${fmt(th.meanLength)} (Veit et al. 2016).</p>`,
    );
  } else if (m.theoryNote !== '') {
    parts.push(`<p>No overlay: ${m.theoryNote}.</p>`);
  }
  if (m.config.family === 'transformer') {
    parts.push(
      m.config.placement === 'pre'
        ? '<p>Pre-norm: the layer norms sit on the branches, so the residual stream is an identity path from the output to the input.</p>'
        : '<p>Post-norm: a layer norm sits on the residual stream after every sublayer, so the gradient passes 2·depth normalizations on its way back.</p>',
    );
  }
  const findings = m.diagnosis.filter((f) => f.kind === 'vanishing' || f.kind === 'exploding');
  if (findings.length > 0)
    parts.push(`<p>Diagnosis (gflow): ${findings.map((f) => f.message).join(' ')}</p>`);
  return parts.join('');
}

/** The loss curve of a training run. */
export function lossPlot(t: TrainResult): string {
  return plotSvg({
    series: [
      {
        points: t.losses.map((l, i) => [i + 1, l] as const),
        cls: 'measured',
        label: 'training loss (MSE)',
        dots: true,
      },
    ],
    xLabel: 'step',
    yLabel: 'loss (log scale)',
    logY: true,
    integerX: true,
    height: 240,
    ariaLabel: 'training loss per step',
  });
}

/** What a training run did, from its numbers and the flow before and after. */
export function explainTraining(t: TrainResult, before: Measurement | null, after: Measurement): string {
  const first = t.losses[0];
  const last = t.losses.at(-1);
  const clip = t.clip
    ? ` Clipping at global norm ${CLIP_NORM}: ${t.clippedSteps} of ${t.losses.length} steps were clipped (raw norms ${fmt(Math.min(...t.globalNorms))} to ${fmt(Math.max(...t.globalNorms))}).`
    : ` No clipping; raw global gradient norms ranged ${fmt(Math.min(...t.globalNorms))} to ${fmt(Math.max(...t.globalNorms))}.`;
  const flow =
    before !== null
      ? ` The first-to-last gradient ratio went from ${fmt(before.firstToLast)} to ${fmt(after.firstToLast)}.`
      : '';
  return `<p>${t.losses.length} steps of Adam (learning rate ${t.learningRate}) on the same batch: the loss went from ${fmt(first)} to ${fmt(last)}.${clip}${flow}</p>`;
}

/** The top eigenvalue in words. */
export function explainEigen(e: TopEigenvalue): string {
  const conv = e.converged
    ? `converged (relative residual ${fmt(e.residual)} ≤ ${e.tol})`
    : `<strong>not converged</strong> (relative residual ${fmt(e.residual)} > ${e.tol})`;
  const step =
    e.lambda > 0
      ? ` Along its eigenvector the loss curves up at rate λ; plain gradient descent with a learning rate above 2/λ = ${fmt(2 / e.lambda)} would diverge along it.`
      : ' It is negative: the loss curves down along its eigenvector (a saddle direction).';
  return `<p>Top Hessian eigenvalue λ = <strong>${fmt(e.lambda)}</strong>, ${conv}, after ${e.hessianVectorProducts} Hessian-vector products (${e.mode}) over ${e.parameters} parameters.${step}</p>`;
}

/** The loss-line plot. */
export function linePlot(l: LossLine): string {
  const series: Series[] = [
    {
      points: l.alphas.map((a, i) => [a, l.losses[i]!] as const),
      cls: 'measured',
      label: 'L(θ + α·d)',
      dots: true,
    },
  ];
  if (l.quadratic !== null) {
    series.push({
      points: l.alphas.map((a, i) => [a, l.quadratic![i]!] as const),
      cls: 'theory',
      label: 'L(θ) + ½λα²',
    });
  }
  return plotSvg({
    series,
    xLabel: 'α (step along the direction d)',
    yLabel: 'loss',
    logY: false,
    height: 240,
    ariaLabel: 'loss along a line',
  });
}

/** The loss line in words. */
export function explainLine(l: LossLine): string {
  const finite = l.losses.filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const a = l.alphas;
  const quad =
    l.quadratic !== null
      ? ` The quadratic model L(θ) + ½λα² predicts ${fmt(l.quadratic.at(-1))} at α = ${fmt(a.at(-1))}; measured ${fmt(l.losses.at(-1))} there and ${fmt(l.losses[0])} at α = ${fmt(a[0])}${
          Math.abs((l.losses.at(-1)! - l.quadratic.at(-1)!) / l.quadratic.at(-1)!) > 0.1
            ? ': the landscape is not quadratic over this range.'
            : ': close to quadratic over this range.'
        }`
      : '';
  return `<p>Direction: ${l.direction}. Over α ∈ [${fmt(a[0])}, ${fmt(a.at(-1))}] the loss ranges from ${fmt(lo)} to ${fmt(hi)}, ${fmt(l.centerLoss)} at the current weights.${quad}</p>`;
}
