import { LSTM_SEQUENCE, LSTM_SEQUENCE_GRAD } from '@gflow/core/internal';
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

// Host scratch slots (the tanh RNN kernels use 10–16; the two never run nested).
const S_U = 20;
const S_H = 21;
const S_G = 22;
const S_C = 23;
const S_Y = 24;
const S_ROW = 25;
const S_CROW = 26;
const S_DY = 27;
const S_DZ = 28;
const S_DHT = 29;
const S_HPT = 30;
const S_DC = 31;

/**
 * Checks the inputs: float32; `seq` [b, T, k] with k = 4n (`u`) or n (`h`, `dh`, `c`), every size
 * ≥ 1; `w` [n, 4n], `h0` [b, n], `gates` [b, T, 4n].
 */
function checkInputs(kernel: string, inputs: Record<string, tf.TensorInfo>): [number, number, number] {
  return checkGatedInputs(kernel, inputs, (b, T, n) => ({
    u: [b, T, 4 * n],
    w: [n, 4 * n],
    h: [b, T, n],
    dh: [b, T, n],
    c: [b, T, n],
    gates: [b, T, 4 * n],
  }));
}

/**
 * The wasm forward kernel of a whole LSTM sequence (`GflowLstmSequence`, gate order i, f, g, o,
 * c₀ = 0): per step one registered `BatchMatMul` call, h_{t−1}·w [b, 4n], and one JavaScript loop
 * for the gates (σ, tanh), c_t = f⊙c_{t−1} + i⊙g and h_t = o⊙tanh(c_t). Returns h, and the
 * activated gates and c that the backward kernel needs.
 */
export const lstmSequenceWasmConfig: tf.KernelConfig = {
  kernelName: LSTM_SEQUENCE,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { u, w, h0 } = args.inputs as { u: tf.TensorInfo; w: tf.TensorInfo; h0: tf.TensorInfo };
    const backend = args.backend as tf.KernelBackend;
    const heap = asWasmHeap(backend);
    const [b, T, n] = checkInputs(LSTM_SEQUENCE, { u, w, h0 });
    const s = new KernelScratch(backend, 'wasm');
    const U = heapCopy(heap, heapOffset(heap, u) / 4, b * T * 4 * n, S_U);
    const H = hostScratch(S_H, b * T * n);
    const G = hostScratch(S_G, b * T * 4 * n);
    const C = hostScratch(S_C, b * T * n);
    const w3 = s.reshape(w, [1, n, 4 * n]);
    const hPrev = s.adopt(heap.makeOutput([1, b, n], 'float32'));
    const h0At = heapOffset(heap, h0) / 4;
    heapF32(heap).copyWithin(heapOffset(heap, hPrev) / 4, h0At, h0At + b * n);
    const row = hostScratch(S_ROW, b * n);
    const cRow = hostScratch(S_CROW, b * n).fill(0);
    for (let t = 0; t < T; t++) {
      const y = matMul(backend, hPrev, w3);
      const ys = heapCopy(heap, heapOffset(heap, y) / 4, b * 4 * n, S_Y);
      heap.disposeData(y.dataId);
      lstmForwardStep(ys, U, G, C, H, row, cRow, t, T, b, n);
      heapSet(heap, row, heapOffset(heap, hPrev) / 4);
    }
    const out = [
      heapTensor(heap, [b, T, n], H),
      heapTensor(heap, [b, T, 4 * n], G),
      heapTensor(heap, [b, T, n], C),
    ];
    s.finish(out[0] as tf.TensorInfo);
    return out;
  },
};

/**
 * The wasm backward kernel (`GflowLstmSequenceGrad`): backpropagation through time in one call.
 * Per step, from the last: ∂L/∂h_t = dh_t + dz_{t+1} wᵀ (written to `dhTotal` for taps), then
 * the cell and gate gradients from the saved gates and c (tanh c_t recomputed), and one matmul of
 * dz_t [b, 4n] by wᵀ; ∂L/∂w is ONE matmul H_prevᵀ·dz over every step and example.
 */
export const lstmSequenceGradWasmConfig: tf.KernelConfig = {
  kernelName: LSTM_SEQUENCE_GRAD,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { dh, h, gates, c, w, h0 } = args.inputs as Record<string, tf.TensorInfo>;
    const backend = args.backend as tf.KernelBackend;
    const heap = asWasmHeap(backend);
    const [b, T, n] = checkInputs(LSTM_SEQUENCE_GRAD, {
      dh: dh as tf.TensorInfo,
      h: h as tf.TensorInfo,
      gates: gates as tf.TensorInfo,
      c: c as tf.TensorInfo,
      w: w as tf.TensorInfo,
      h0: h0 as tf.TensorInfo,
    });
    const size = b * T * n;
    const s = new KernelScratch(backend, 'wasm');
    const wT3 = s.reshape(s.run('Transpose', { x: w as tf.TensorInfo }, { perm: [1, 0] }), [1, 4 * n, n]);
    const DY = heapCopy(heap, heapOffset(heap, dh as tf.TensorInfo) / 4, size, S_DY);
    const Hh = heapCopy(heap, heapOffset(heap, h as tf.TensorInfo) / 4, size, S_H);
    const G = heapCopy(heap, heapOffset(heap, gates as tf.TensorInfo) / 4, 4 * size, S_G);
    const C = heapCopy(heap, heapOffset(heap, c as tf.TensorInfo) / 4, size, S_C);
    const DZ = hostScratch(S_DZ, 4 * size);
    const DHT =
      (args.attrs as { stepGradients?: boolean } | undefined)?.stepGradients === false
        ? undefined
        : hostScratch(S_DHT, size);
    const row = hostScratch(S_ROW, 4 * b * n);
    const dc = hostScratch(S_DC, b * n).fill(0);
    const dzIn = s.adopt(heap.makeOutput([1, b, 4 * n], 'float32'));
    let g: Float32Array | undefined;
    for (let t = T - 1; t >= 0; t--) {
      lstmBackwardStep(DY, G, C, g, DZ, DHT, row, dc, t, T, b, n);
      heapSet(heap, row, heapOffset(heap, dzIn) / 4);
      const y = matMul(backend, dzIn, wT3);
      g = heapCopy(heap, heapOffset(heap, y) / 4, b * n, S_Y);
      heap.disposeData(y.dataId);
    }
    const dh0 = heapTensor(heap, [b, n], g as Float32Array);
    const du = heapTensor(heap, [b, T, 4 * n], DZ);
    const dhTotal = DHT === undefined ? undefined : heapTensor(heap, [T, b, n], DHT);
    const HpT = hostScratch(S_HPT, size);
    const h0At = heapOffset(heap, h0 as tf.TensorInfo) / 4;
    transposedPrev(Hh, heapF32(heap).subarray(h0At, h0At + b * n), HpT, T, b, n);
    const hPrevT = s.adopt(heapTensor(heap, [1, n, b * T], HpT));
    const dz = s.adopt(heapTensor(heap, [1, b * T, 4 * n], DZ));
    const dw = s.reshape(s.adopt(matMul(backend, hPrevT, dz)), [n, 4 * n]);
    s.finish(dw);
    return dhTotal === undefined ? [du, dw, dh0] : [du, dw, dh0, dhTotal];
  },
};

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** One forward step: gates into G, c_t into C and cRow, h_t into H and row. */
function lstmForwardStep(
  y: Float32Array,
  U: Float32Array,
  G: Float32Array,
  C: Float32Array,
  H: Float32Array,
  row: Float32Array,
  cRow: Float32Array,
  t: number,
  T: number,
  b: number,
  n: number,
): void {
  const n4 = 4 * n;
  for (let i = 0; i < b; i++) {
    const gu = (i * T + t) * n4;
    const yr = i * n4;
    const at = (i * T + t) * n;
    const r = i * n;
    for (let j = 0; j < n; j++) {
      const gi = sigmoid(y[yr + j]! + U[gu + j]!);
      const gf = sigmoid(y[yr + n + j]! + U[gu + n + j]!);
      const gg = tanh(y[yr + 2 * n + j]! + U[gu + 2 * n + j]!);
      const go = sigmoid(y[yr + 3 * n + j]! + U[gu + 3 * n + j]!);
      G[gu + j] = gi;
      G[gu + n + j] = gf;
      G[gu + 2 * n + j] = gg;
      G[gu + 3 * n + j] = go;
      const cv = Math.fround(gf * cRow[r + j]! + gi * gg);
      cRow[r + j] = cv;
      C[at + j] = cv;
      const hv = go * tanh(cv);
      row[r + j] = hv;
      H[at + j] = hv;
    }
  }
}

/**
 * One backward step. In: dc holds ∂L/∂c_t from step t+1 (f_{t+1}⊙dc_{t+1}); out: dz_t into DZ and
 * row, ∂L/∂h_t into DHT, and dc becomes ∂L/∂c_{t−1} = f_t⊙dc_t.
 */
function lstmBackwardStep(
  DY: Float32Array,
  G: Float32Array,
  C: Float32Array,
  g: Float32Array | undefined,
  DZ: Float32Array,
  DHT: Float32Array | undefined,
  row: Float32Array,
  dc: Float32Array,
  t: number,
  T: number,
  b: number,
  n: number,
): void {
  const n4 = 4 * n;
  const base = t * b * n;
  for (let i = 0; i < b; i++) {
    const gu = (i * T + t) * n4;
    const at = (i * T + t) * n;
    const r = i * n;
    const rr = i * n4;
    for (let j = 0; j < n; j++) {
      const d = g === undefined ? DY[at + j]! : DY[at + j]! + g[r + j]!;
      if (DHT !== undefined) DHT[base + r + j] = d;
      const gi = G[gu + j]!;
      const gf = G[gu + n + j]!;
      const gg = G[gu + 2 * n + j]!;
      const go = G[gu + 3 * n + j]!;
      const tc = tanh(C[at + j]!);
      const cPrev = t === 0 ? 0 : C[at - n + j]!;
      const dcv = d * go * (1 - tc * tc) + dc[r + j]!;
      const zi = dcv * gg * gi * (1 - gi);
      const zf = dcv * cPrev * gf * (1 - gf);
      const zg = dcv * gi * (1 - gg * gg);
      const zo = d * tc * go * (1 - go);
      DZ[gu + j] = zi;
      DZ[gu + n + j] = zf;
      DZ[gu + 2 * n + j] = zg;
      DZ[gu + 3 * n + j] = zo;
      row[rr + j] = zi;
      row[rr + n + j] = zf;
      row[rr + 2 * n + j] = zg;
      row[rr + 3 * n + j] = zo;
      dc[r + j] = dcv * gf;
    }
  }
}
