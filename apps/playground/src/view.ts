import type { Measurement } from './measure.js';

const W = 720;
const H = 360;
const PAD = { left: 64, right: 16, top: 44, bottom: 44 };

function fmt(x: number): string {
  if (x === 0) return '0';
  const e = Math.floor(Math.log10(Math.abs(x)));
  return e >= -2 && e <= 3 ? x.toPrecision(3) : `${(x / 10 ** e).toFixed(2)}e${e}`;
}

/**
 * The plot: ‖∂L/∂h_l‖ per layer on a log scale (dots and line), and for plain MLPs the mean-field
 * prediction ‖∂L/∂h_L‖·χ₁^((L−l)/2) (dashed). An inline SVG string.
 */
export function plotSvg(m: Measurement): string {
  const ys = m.taps.map((t) => t.gradNorm).filter((g): g is number => g !== null && g > 0);
  const last = m.taps.at(-1)?.gradNorm ?? null;
  const theory = m.theory !== null && last !== null ? m.theory.predicted.map((p) => p * last) : [];
  const all = [...ys, ...theory.filter((t) => t > 0 && Number.isFinite(t))];
  if (all.length === 0) return '<p>No finite gradient to plot.</p>';
  let lo = Math.floor(Math.log10(Math.min(...all)));
  let hi = Math.ceil(Math.log10(Math.max(...all)));
  if (hi - lo < 1) {
    lo -= 1;
    hi += 1;
  }
  const n = m.taps.length;
  const x = (i: number) => PAD.left + (n === 1 ? 0 : (i / (n - 1)) * (W - PAD.left - PAD.right));
  const y = (v: number) => PAD.top + ((hi - Math.log10(v)) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const grid: string[] = [];
  const step = Math.max(1, Math.ceil((hi - lo) / 8));
  for (let e = lo; e <= hi; e += step) {
    grid.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" class="grid"/>`,
      `<text x="${PAD.left - 6}" y="${y(10 ** e) + 4}" text-anchor="end">1e${e}</text>`,
    );
  }
  const pts = m.taps
    .map((t, i) => (t.gradNorm !== null && t.gradNorm > 0 ? `${x(i)},${y(t.gradNorm)}` : null))
    .filter((p) => p !== null);
  const dots = pts.map((p) => `<circle cx="${p!.split(',')[0]}" cy="${p!.split(',')[1]}" r="2.5"/>`).join('');
  const theoryLine =
    theory.length > 0
      ? `<polyline class="theory" points="${theory
          .map((t, i) => (t > 0 && Number.isFinite(t) ? `${x(i)},${y(Math.max(t, 10 ** lo))}` : ''))
          .filter((s) => s !== '')
          .join(' ')}"/>`
      : '';
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="gradient norm per layer">
  ${grid.join('')}
  <line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${H - PAD.bottom}" class="axis"/>
  <line x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}" class="axis"/>
  <text x="${PAD.left}" y="${H - 22}">block 1</text>
  <text x="${W - PAD.right}" y="${H - 22}" text-anchor="end">block ${n}</text>
  <text x="${(W + PAD.left) / 2}" y="${H - 6}" text-anchor="middle">block (input side → output side)</text>
  ${theoryLine}
  <polyline class="measured" points="${pts.join(' ')}"/>
  <g class="dots">${dots}</g>
  <g class="legend"><line x1="${PAD.left}" x2="${PAD.left + 25}" y1="14" y2="14" class="measured"/><text x="${PAD.left + 30}" y="18">measured ‖∂L/∂h‖</text>
  ${theory.length > 0 ? `<line x1="${PAD.left + 200}" x2="${PAD.left + 225}" y1="14" y2="14" class="theory"/><text x="${PAD.left + 230}" y="18">mean field: ‖∂L/∂h_last‖ · √χ₁ per layer back</text>` : ''}</g>
</svg>`;
}

/** A short explanation built from the measured numbers, as the report does. */
export function explain(m: Measurement): string {
  const c = m.config;
  const r = m.firstToLast;
  if (r === null) return '<p>The gradient did not reach every layer (a zero or missing gradient).</p>';
  const decades = Math.log10(r);
  const verdict =
    decades < -2
      ? `<strong>vanishes</strong>: the first block gets ${fmt(r)} of the gradient the last block gets (${(-decades).toFixed(1)} decades less)`
      : decades > 2
        ? `<strong>explodes</strong>: the first block gets ${fmt(r)} times the gradient of the last (${decades.toFixed(1)} decades more)`
        : `<strong>flows</strong>: the first block gets ${fmt(r)} times the gradient of the last`;
  const parts = [
    `<p>In this ${c.family} MLP (${c.depth} blocks of ${c.width}, ${c.activation}, ${c.init} init) the gradient ${verdict}.</p>`,
  ];
  if (m.theory !== null) {
    const pred = m.theory.predicted[0] ?? 1;
    parts.push(
      `<p>Mean-field theory: σ_w² = ${fmt(m.theory.weightVariance)} gives χ₁ = ${fmt(m.theory.chi1)} (${m.theory.phase} phase), so each layer multiplies ‖∂L/∂h‖ by about √χ₁ = ${fmt(Math.sqrt(m.theory.chi1))}; over ${c.depth - 1} layers that predicts ${fmt(pred)}, measured ${fmt(r)}.</p>`,
    );
  } else {
    parts.push(
      '<p>Residual blocks add their input to their output, so the backward pass has an identity path around every block: the gradient reaching the first block does not shrink geometrically with depth.</p>',
    );
  }
  const findings = m.diagnosis.filter((f) => f.kind === 'vanishing' || f.kind === 'exploding');
  if (findings.length > 0) parts.push(`<p>Diagnosis: ${findings.map((f) => f.message).join(' ')}</p>`);
  return parts.join('');
}
