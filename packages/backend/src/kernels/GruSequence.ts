import { GRU_SEQUENCE, GRU_SEQUENCE_GRAD } from '@gflow/core/internal';
import type * as tf from '@tensorflow/tfjs';
import {
  asWasmHeap,
  heapCopy,
  heapF32,
  heapOffset,
  heapSet,
  hostScratch,
} from '../internal/wasm-heap-view.js';
import { KernelScratch } from '../internal/wasm-scratch.js';
import { checkGatedInputs } from './gated-sequence-inputs.js';
import { heapTensor, matMul, tanh, transposedPrev } from './TanhRnnSequence.js';

// Host scratch slots (the tanh RNN kernels use 10–16, the LSTM's 20–31; none run nested).
const S_U = 40;
const S_H = 41;
const S_S = 42;
const S_Y = 43;
const S_ROW = 44;
const S_DY = 45;
const S_DU = 46;
const S_DYW = 47;
const S_DHT = 48;
const S_HPT = 49;
const S_DIRECT = 50;
const S_B = 51;

/**
 * Checks the inputs: float32; `u` [b, T, 3n] or `h`/`dh` [b, T, n] with every size ≥ 1, `w`
 * [n, 3n], `b` [3n], `h0` [b, n], `saved` [b, T, 4n].
 */
function checkInputs(kernel: string, inputs: Record<string, tf.TensorInfo>): [number, number, number] {
  return checkGatedInputs(kernel, inputs, (b, T, n) => ({
    u: [b, T, 3 * n],
    w: [n, 3 * n],
    b: [3 * n],
    h: [b, T, n],
    dh: [b, T, n],
    saved: [b, T, 4 * n],
  }));
}

/**
 * The wasm forward kernel of a whole GRU sequence (`GflowGruSequence`, gate order r, z, n):
 * y = h_{t−1}·w + b (one registered `BatchMatMul` call per step), r = σ(u_r + y_r),
 * z = σ(u_z + y_z), n = tanh(u_n + r ⊙ y_n), h_t = n + z ⊙ (h_{t−1} − n), in one loop per step.
 */
export const gruSequenceWasmConfig: tf.KernelConfig = {
  kernelName: GRU_SEQUENCE,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { u, w, b: bias, h0 } = args.inputs as Record<string, tf.TensorInfo>;
    const backend = args.backend as tf.KernelBackend;
    const heap = asWasmHeap(backend);
    const [b, T, n] = checkInputs(GRU_SEQUENCE, {
      u: u as tf.TensorInfo,
      w: w as tf.TensorInfo,
      b: bias as tf.TensorInfo,
      h0: h0 as tf.TensorInfo,
    });
    const s = new KernelScratch(backend, 'wasm');
    const U = heapCopy(heap, heapOffset(heap, u as tf.TensorInfo) / 4, b * T * 3 * n, S_U);
    const B = heapCopy(heap, heapOffset(heap, bias as tf.TensorInfo) / 4, 3 * n, S_B);
    const H = hostScratch(S_H, b * T * n);
    const S = hostScratch(S_S, b * T * 4 * n);
    const w3 = s.reshape(w as tf.TensorInfo, [1, n, 3 * n]);
    const hPrev = s.adopt(heap.makeOutput([1, b, n], 'float32'));
    const h0At = heapOffset(heap, h0 as tf.TensorInfo) / 4;
    const row = hostScratch(S_ROW, b * n);
    row.set(heapF32(heap).subarray(h0At, h0At + b * n));
    heapSet(heap, row, heapOffset(heap, hPrev) / 4);
    for (let t = 0; t < T; t++) {
      const y = matMul(backend, hPrev, w3);
      const ys = heapCopy(heap, heapOffset(heap, y) / 4, b * 3 * n, S_Y);
      heap.disposeData(y.dataId);
      gruForwardStep(ys, B, U, S, H, row, t, T, b, n);
      heapSet(heap, row, heapOffset(heap, hPrev) / 4);
    }
    const out = [heapTensor(heap, [b, T, n], H), heapTensor(heap, [b, T, 4 * n], S)];
    s.finish(out[0] as tf.TensorInfo);
    return out;
  },
};

/**
 * The wasm backward kernel (`GflowGruSequenceGrad`): backpropagation through time in one call.
 * Per step, from the last: ∂L/∂h_t = dh_t + (dy_{t+1} wᵀ + z_{t+1} ⊙ ∂L/∂h_{t+1}) (the total,
 * written to `dhTotal` for taps), the gate gradients from the saved r, z, n and y_n, and one matmul
 * of dy_t [b, 3n] by wᵀ. ∂L/∂w is ONE matmul H_prevᵀ·dy over every step and example, ∂L/∂b the
 * column sums of dy.
 */
export const gruSequenceGradWasmConfig: tf.KernelConfig = {
  kernelName: GRU_SEQUENCE_GRAD,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { dh, h, saved, w, h0 } = args.inputs as Record<string, tf.TensorInfo>;
    const backend = args.backend as tf.KernelBackend;
    const heap = asWasmHeap(backend);
    const [b, T, n] = checkInputs(GRU_SEQUENCE_GRAD, {
      dh: dh as tf.TensorInfo,
      h: h as tf.TensorInfo,
      saved: saved as tf.TensorInfo,
      w: w as tf.TensorInfo,
      h0: h0 as tf.TensorInfo,
    });
    const size = b * T * n;
    const s = new KernelScratch(backend, 'wasm');
    const wT3 = s.reshape(s.run('Transpose', { x: w as tf.TensorInfo }, { perm: [1, 0] }), [1, 3 * n, n]);
    const DY = heapCopy(heap, heapOffset(heap, dh as tf.TensorInfo) / 4, size, S_DY);
    const Hh = heapCopy(heap, heapOffset(heap, h as tf.TensorInfo) / 4, size, S_H);
    const S = heapCopy(heap, heapOffset(heap, saved as tf.TensorInfo) / 4, 4 * size, S_S);
    const h0At = heapOffset(heap, h0 as tf.TensorInfo) / 4;
    const H0 = hostScratch(S_B, b * n);
    H0.set(heapF32(heap).subarray(h0At, h0At + b * n));
    const DU = hostScratch(S_DU, 3 * size);
    const DYW = hostScratch(S_DYW, 3 * size);
    const DHT =
      (args.attrs as { stepGradients?: boolean } | undefined)?.stepGradients === false
        ? undefined
        : hostScratch(S_DHT, size);
    const row = hostScratch(S_ROW, 3 * b * n);
    const direct = hostScratch(S_DIRECT, b * n).fill(0);
    const dyIn = s.adopt(heap.makeOutput([1, b, 3 * n], 'float32'));
    let g: Float32Array | undefined;
    for (let t = T - 1; t >= 0; t--) {
      gruBackwardStep(DY, Hh, H0, S, g, direct, DU, DYW, DHT, row, t, T, b, n);
      heapSet(heap, row, heapOffset(heap, dyIn) / 4);
      const y = matMul(backend, dyIn, wT3);
      g = heapCopy(heap, heapOffset(heap, y) / 4, b * n, S_Y);
      heap.disposeData(y.dataId);
    }
    // ∂L/∂h0 = dy_0 wᵀ + z_0 ⊙ ∂L/∂h_0 (the direct part is in `direct`)
    const gv = g as Float32Array;
    for (let k = 0; k < b * n; k++) gv[k] = gv[k]! + direct[k]!;
    const dh0 = heapTensor(heap, [b, n], gv);
    const du = heapTensor(heap, [b, T, 3 * n], DU);
    const db = heapTensor(heap, [3 * n], columnSums(DYW, b * T, 3 * n));
    const dhTotal = DHT === undefined ? undefined : heapTensor(heap, [T, b, n], DHT);
    const HpT = hostScratch(S_HPT, size);
    transposedPrev(Hh, H0, HpT, T, b, n);
    const hPrevT = s.adopt(heapTensor(heap, [1, n, b * T], HpT));
    const dyw = s.adopt(heapTensor(heap, [1, b * T, 3 * n], DYW));
    const dw = s.reshape(s.adopt(matMul(backend, hPrevT, dyw)), [n, 3 * n]);
    s.finish(dw);
    return dhTotal === undefined ? [du, dw, db, dh0] : [du, dw, db, dh0, dhTotal];
  },
};

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Sums of the `cols` columns of a row-major [rows, cols] array, in float64. */
function columnSums(a: Float32Array, rows: number, cols: number): Float32Array {
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) acc[c] = acc[c]! + a[o + c]!;
  }
  return Float32Array.from(acc);
}

/** One forward step: row holds h_{t−1} on entry and h_t on return; r, z, n, y_n into S. */
function gruForwardStep(
  y: Float32Array,
  B: Float32Array,
  U: Float32Array,
  S: Float32Array,
  H: Float32Array,
  row: Float32Array,
  t: number,
  T: number,
  b: number,
  n: number,
): void {
  const n3 = 3 * n;
  const n4 = 4 * n;
  for (let i = 0; i < b; i++) {
    const uo = (i * T + t) * n3;
    const so = (i * T + t) * n4;
    const yr = i * n3;
    const at = (i * T + t) * n;
    const r0 = i * n;
    for (let j = 0; j < n; j++) {
      const gr = sigmoid(U[uo + j]! + y[yr + j]! + B[j]!);
      const gz = sigmoid(U[uo + n + j]! + y[yr + n + j]! + B[n + j]!);
      const yn = Math.fround(y[yr + 2 * n + j]! + B[2 * n + j]!);
      const gn = Math.fround(tanh(U[uo + 2 * n + j]! + gr * yn));
      const hp = row[r0 + j]!;
      const hv = gn + gz * (hp - gn);
      S[so + j] = gr;
      S[so + n + j] = gz;
      S[so + 2 * n + j] = gn;
      S[so + 3 * n + j] = yn;
      row[r0 + j] = hv;
      H[at + j] = hv;
    }
  }
}

/**
 * One backward step. `direct` holds z_{t+1} ⊙ ∂L/∂h_{t+1} on entry (0 for the last step) and
 * z_t ⊙ ∂L/∂h_t on return; `g` is dy_{t+1} wᵀ. Writes ∂L/∂u_t (DU), dy_t (DYW and row) and
 * ∂L/∂h_t (DHT).
 */
function gruBackwardStep(
  DY: Float32Array,
  H: Float32Array,
  H0: Float32Array,
  S: Float32Array,
  g: Float32Array | undefined,
  direct: Float32Array,
  DU: Float32Array,
  DYW: Float32Array,
  DHT: Float32Array | undefined,
  row: Float32Array,
  t: number,
  T: number,
  b: number,
  n: number,
): void {
  const n3 = 3 * n;
  const n4 = 4 * n;
  const base = t * b * n;
  for (let i = 0; i < b; i++) {
    const at = (i * T + t) * n;
    const so = (i * T + t) * n4;
    const uo = (i * T + t) * n3;
    const r0 = i * n;
    const rr = i * n3;
    for (let j = 0; j < n; j++) {
      const d = DY[at + j]! + direct[r0 + j]! + (g === undefined ? 0 : g[r0 + j]!);
      if (DHT !== undefined) DHT[base + r0 + j] = d;
      const gr = S[so + j]!;
      const gz = S[so + n + j]!;
      const gn = S[so + 2 * n + j]!;
      const yn = S[so + 3 * n + j]!;
      const hp = t === 0 ? H0[r0 + j]! : H[at - n + j]!;
      const an = d * (1 - gz) * (1 - gn * gn);
      const ar = an * yn * gr * (1 - gr);
      const az = d * (hp - gn) * gz * (1 - gz);
      DU[uo + j] = ar;
      DU[uo + n + j] = az;
      DU[uo + 2 * n + j] = an;
      const dyn = an * gr;
      DYW[uo + j] = ar;
      DYW[uo + n + j] = az;
      DYW[uo + 2 * n + j] = dyn;
      row[rr + j] = ar;
      row[rr + n + j] = az;
      row[rr + 2 * n + j] = dyn;
      direct[r0 + j] = d * gz;
    }
  }
}
