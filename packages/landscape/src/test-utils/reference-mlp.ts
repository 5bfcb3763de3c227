// An independent float64 implementation of a two-layer MLP with softmax cross-entropy
// (mean over the batch): the loss and its gradient by hand-written backpropagation, and the
// Hessian by central differences of that analytic gradient (error O(h²) ≈ 1e-10 here).
// Parameter order and layout match test-utils/models.ts `mlp`: W1 [in, hidden] row-major, b1,
// W2 [hidden, out], b2.

export type RefAct = 'tanh' | 'sigmoid';

function actF(a: RefAct, z: number): [number, number] {
  if (a === 'tanh') {
    const t = Math.tanh(z);
    return [t, 1 - t * t];
  }
  const s = 1 / (1 + Math.exp(-z));
  return [s, s * (1 - s)];
}

export interface RefProblem {
  inputs: number;
  hidden: number;
  outputs: number;
  activation: RefAct;
  x: number[]; // n × inputs
  labels: number[];
}

export function lossAndGrad(p: RefProblem, theta: Float64Array): { loss: number; grad: Float64Array } {
  const { inputs: I, hidden: H, outputs: O, x, labels } = p;
  const n = labels.length;
  const oW1 = 0;
  const ob1 = I * H;
  const oW2 = ob1 + H;
  const ob2 = oW2 + H * O;
  const g = new Float64Array(theta.length);
  let loss = 0;
  for (let s = 0; s < n; s++) {
    const xs = x.slice(s * I, (s + 1) * I);
    const h = new Float64Array(H);
    const dh = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      let z = theta[ob1 + j] as number;
      for (let i = 0; i < I; i++) z += (xs[i] as number) * (theta[oW1 + i * H + j] as number);
      const [a, d] = actF(p.activation, z);
      h[j] = a;
      dh[j] = d;
    }
    const logits = new Float64Array(O);
    for (let k = 0; k < O; k++) {
      let z = theta[ob2 + k] as number;
      for (let j = 0; j < H; j++) z += (h[j] as number) * (theta[oW2 + j * O + k] as number);
      logits[k] = z;
    }
    const m = Math.max(...logits);
    let sum = 0;
    for (let k = 0; k < O; k++) sum += Math.exp((logits[k] as number) - m);
    const lse = m + Math.log(sum);
    const label = labels[s] as number;
    loss += (lse - (logits[label] as number)) / n;
    const dz = new Float64Array(O);
    for (let k = 0; k < O; k++) dz[k] = (Math.exp((logits[k] as number) - lse) - (k === label ? 1 : 0)) / n;
    const dhid = new Float64Array(H);
    for (let k = 0; k < O; k++) {
      g[ob2 + k] = (g[ob2 + k] as number) + (dz[k] as number);
      for (let j = 0; j < H; j++) {
        g[oW2 + j * O + k] = (g[oW2 + j * O + k] as number) + (h[j] as number) * (dz[k] as number);
        dhid[j] = (dhid[j] as number) + (theta[oW2 + j * O + k] as number) * (dz[k] as number);
      }
    }
    for (let j = 0; j < H; j++) {
      const dzh = (dhid[j] as number) * (dh[j] as number);
      g[ob1 + j] = (g[ob1 + j] as number) + dzh;
      for (let i = 0; i < I; i++)
        g[oW1 + i * H + j] = (g[oW1 + i * H + j] as number) + (xs[i] as number) * dzh;
    }
  }
  return { loss, grad: g };
}

/** The Hessian, column by column, by central differences of the analytic gradient; symmetrized. */
export function hessianByDifferences(p: RefProblem, theta: Float64Array, h = 1e-5): number[][] {
  const n = theta.length;
  const H: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    const tp = Float64Array.from(theta);
    const tm = Float64Array.from(theta);
    tp[j] = (tp[j] as number) + h;
    tm[j] = (tm[j] as number) - h;
    const gp = lossAndGrad(p, tp).grad;
    const gm = lossAndGrad(p, tm).grad;
    for (let i = 0; i < n; i++) (H[i] as number[])[j] = ((gp[i] as number) - (gm[i] as number)) / (2 * h);
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = ((H[i] as number[])[j]! + (H[j] as number[])[i]!) / 2;
      (H[i] as number[])[j] = s;
      (H[j] as number[])[i] = s;
    }
  }
  return H;
}
