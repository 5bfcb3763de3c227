import { InvalidArgumentError, ShapeError } from '@gflow/core';
import { stepScaledPairs, TANH_RNN_SEQUENCE, TANH_RNN_SEQUENCE_GRAD } from '@gflow/core/internal';
import * as tf from '@tensorflow/tfjs';
import { freshMatMulB } from '../internal/packed-operand.js';
import { HELPER_MIN_FLOPS, type SimdHelper, simdHelper } from '../internal/simd-helper.js';
import { type SimdWasm, simdWasm } from '../internal/simd-wasm.js';
import {
  asWasmHeap,
  heapCopy,
  heapF32,
  heapOffset,
  heapSet,
  hostScratch,
  type WasmHeapBackend,
} from '../internal/wasm-heap-view.js';
import { heapMatMul } from '../internal/wasm-matmul.js';
import { KernelScratch } from '../internal/wasm-scratch.js';

// Host scratch slots of these kernels (0 and 1 are the Tanh fill's, which these do not call).
const S_U = 10;
const S_H = 11;
const S_Y = 12;
const S_ROW = 13;
const S_DZ = 14;
const S_DHT = 15;
const S_HPT = 16;

/** The registered wasm `BatchMatMul` (gflow's fill): [1, m, k] · [1, k, n], untransposed. */
export function matMul(backend: tf.KernelBackend, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  const k = tf.getKernel('BatchMatMul', 'wasm');
  if (k === undefined) throw new Error('gflow TanhRnnSequence: no wasm BatchMatMul is registered');
  return k.kernelFunc({
    inputs: { a, b },
    backend,
    attrs: { transposeA: false, transposeB: false },
  }) as tf.TensorInfo;
}

/**
 * Checks the kernels' inputs: float32, `u` (or `h`) [b, T, n] with b, T, n ≥ 1, `w` [n, n],
 * `h0` [b, n], and `dh` the shape of `h`.
 * @throws ShapeError or InvalidArgumentError (from `@gflow/core`).
 */
function checkInputs(
  kernel: string,
  seq: string,
  inputs: Record<string, tf.TensorInfo>,
): [number, number, number] {
  for (const [k, t] of Object.entries(inputs)) {
    if (t === undefined || t.dtype !== 'float32') {
      throw new InvalidArgumentError(
        `${kernel}: ${k} must be a float32 tensor, got ${t === undefined ? 'none' : t.dtype}`,
      );
    }
  }
  const x = inputs[seq] as tf.TensorInfo;
  const shape = (t: tf.TensorInfo): string => `[${t.shape.join(', ')}]`;
  if (x.shape.length !== 3 || x.shape.some((d) => d < 1)) {
    throw new ShapeError(
      `${kernel}: ${seq} must be [batch, steps, hidden] with every size ≥ 1, got ${shape(x)}`,
    );
  }
  const [b, T, n] = x.shape as [number, number, number];
  const want: Record<string, number[]> = { w: [n, n], h0: [b, n], dh: [b, T, n] };
  for (const [k, s] of Object.entries(want)) {
    const t = inputs[k];
    if (t !== undefined && (t.shape.length !== s.length || t.shape.some((d, i) => d !== s[i]))) {
      throw new ShapeError(
        `${kernel}: ${k} must be [${s.join(', ')}] for ${seq} ${shape(x)}, got ${shape(t)}`,
      );
    }
  }
  return [b, T, n];
}

/** A fresh float32 heap tensor of `shape` holding `values`. */
export function heapTensor(heap: WasmHeapBackend, shape: number[], values: Float32Array): tf.TensorInfo {
  const t = heap.makeOutput(shape, 'float32');
  heapSet(heap, values, heapOffset(heap, t) / 4);
  return t;
}

/**
 * The wasm forward kernel of a whole tanh RNN sequence (`GflowTanhRnnSequence`, see
 * `@gflow/core/internal`'s `fused-kernels`): h_t = tanh(u_t + h_{t−1} w) for every step in one
 * kernel call. Each step is one direct call of tfjs-wasm's C++ `BatchMatMul` on preallocated heap
 * buffers (XNNPACK, with `w` packed once for the whole sequence; see `heapMatMul`) and one loop
 * that adds u_t, applies tanh (see {@link tanh}) and writes h_t: gflow's wasm SIMD
 * `rnn_forward_step` in place on the heap where it runs (`internal/simd-wasm.ts`), else
 * {@link forwardStep} on host copies, with the same result bit for bit; no engine bookkeeping,
 * tape node or tidy scope per step.
 *
 * Where gflow's SIMD helper thread runs (Node, the threaded engine, the full module), the batch's
 * rows are split between the two threads instead, in chunks of 4, and each runs its rows' whole
 * recurrence (`rnn_forward_rows`, the product by the module's own matmul): the rows do not depend
 * on each other, so the threads meet once per sequence instead of at each step's two-thread
 * XNNPACK product. The same bits either way (tested).
 */
export const tanhRnnSequenceWasmConfig: tf.KernelConfig = {
  kernelName: TANH_RNN_SEQUENCE,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { u, w, h0 } = args.inputs as { u: tf.TensorInfo; w: tf.TensorInfo; h0: tf.TensorInfo };
    const backend = args.backend as tf.KernelBackend;
    const heap = asWasmHeap(backend);
    const [b, T, n] = checkInputs(TANH_RNN_SEQUENCE, 'u', { u, w, h0 });
    const simd = simdWasm(heap);
    if (simd !== undefined) return forwardOnHeap(simd, heap, backend, u, w, h0, b, T, n);
    const s = new KernelScratch(backend, 'wasm');
    const U = heapCopy(heap, heapOffset(heap, u) / 4, b * T * n, S_U);
    const H = hostScratch(S_H, b * T * n);
    const w3 = freshMatMulB(s, backend, s.reshape(w, [1, n, n]));
    const hPrev = s.adopt(heap.makeOutput([1, b, n], 'float32'));
    const y = s.adopt(heap.makeOutput([1, b, n], 'float32'));
    const h0At = heapOffset(heap, h0) / 4;
    heapF32(heap).copyWithin(heapOffset(heap, hPrev) / 4, h0At, h0At + b * n);
    const row = hostScratch(S_ROW, b * n);
    const step = heapMatMul(heap, hPrev, w3, y, b, n, n);
    const yAt = heapOffset(heap, y) / 4;
    const hAt = heapOffset(heap, hPrev) / 4;
    for (let t = 0; t < T; t++) {
      step();
      const ys = heapCopy(heap, yAt, b * n, S_Y);
      forwardStep(ys, U, H, row, t, T, b, n);
      heapSet(heap, row, hAt);
    }
    return s.finish(heapTensor(heap, [b, T, n], H));
  },
};

/**
 * The wasm backward kernel (`GflowTanhRnnSequenceGrad`): backpropagation through time over the
 * whole sequence in one call. Per step, from the last: ∂L/∂h_t = dh_t + dz_{t+1} wᵀ (the total
 * gradient, written to `dhTotal`, which is what a tap on h_t sees), dz_t = ∂L/∂h_t ⊙ (1 − h_t²)
 * from the saved h_t (no tanh recomputed), and one direct `BatchMatMul` by wᵀ (transposed and packed once
 * per call). Then ∂L/∂u = dz and ∂L/∂w = Σ_t h_{t−1}ᵀ dz_t as ONE product over every step and
 * example ([steps·batch, hidden]ᵀ · [steps·batch, hidden]) instead of one per step. With gflow's
 * wasm SIMD module the element-wise steps and that product run in place on the heap
 * (`rnn_backward_step`, `rnn_weight_grad`), else as JavaScript loops on host copies and an XNNPACK
 * matmul, with the same results bit for bit. With the
 * attribute `stepNorms: true` the fourth output is each step's scaled pair [steps, 2]
 * (`hostScaledPair` of ∂L/∂h_t) instead of the [steps, batch, hidden] gradients themselves.
 *
 * With gflow's SIMD helper thread, the steps run as in the forward kernel: the batch's rows split
 * between the two threads, each backpropagating its rows through every step
 * (`rnn_backward_rows`); the steps' pairs are then taken from the step gradients, the steps
 * shared between the threads (`rnn_step_pairs`). The same bits either way (tested).
 */
export const tanhRnnSequenceGradWasmConfig: tf.KernelConfig = {
  kernelName: TANH_RNN_SEQUENCE_GRAD,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { dh, h, w, h0 } = args.inputs as {
      dh: tf.TensorInfo;
      h: tf.TensorInfo;
      w: tf.TensorInfo;
      h0: tf.TensorInfo;
    };
    const backend = args.backend as tf.KernelBackend;
    const heap = asWasmHeap(backend);
    const [b, T, n] = checkInputs(TANH_RNN_SEQUENCE_GRAD, 'h', { h, dh, w, h0 });
    const attrs = args.attrs as { stepGradients?: boolean; stepNorms?: boolean } | undefined;
    const stepGradients = attrs?.stepGradients !== false;
    const stepNorms = stepGradients && attrs?.stepNorms === true;
    const simd = simdWasm(heap);
    if (simd !== undefined) {
      return backwardOnHeap(simd, heap, backend, dh, h, w, h0, stepGradients, stepNorms, b, T, n);
    }
    const size = b * T * n;
    const s = new KernelScratch(backend, 'wasm');
    const wT3 = s.reshape(s.run('Transpose', { x: w }, { perm: [1, 0] }), [1, n, n]);
    // Host copies of dY and H, then ∂L/∂u and the step-major total gradients.
    const DY = heapCopy(heap, heapOffset(heap, dh) / 4, size, S_U);
    const Hh = heapCopy(heap, heapOffset(heap, h) / 4, size, S_H);
    const DZ = hostScratch(S_DZ, size);
    // `stepGradients: false` (nobody listens to the steps) skips dhTotal.
    const DHT = stepGradients ? hostScratch(S_DHT, size) : undefined;
    const row = hostScratch(S_ROW, b * n);
    const dzIn = s.adopt(heap.makeOutput([1, b, n], 'float32'));
    const y = s.adopt(heap.makeOutput([1, b, n], 'float32'));
    const step = heapMatMul(heap, dzIn, freshMatMulB(s, backend, wT3), y, b, n, n);
    const dzAt = heapOffset(heap, dzIn) / 4;
    const yAt = heapOffset(heap, y) / 4;
    let g: Float32Array | undefined;
    for (let t = T - 1; t >= 0; t--) {
      backwardStep(DY, Hh, g, DZ, DHT, row, t, T, b, n);
      heapSet(heap, row, dzAt);
      step();
      g = heapCopy(heap, yAt, b * n, S_Y);
    }
    const dh0 = heapTensor(heap, [b, n], g as Float32Array);
    const du = heapTensor(heap, [b, T, n], DZ);
    const dhTotal =
      DHT === undefined
        ? undefined
        : stepNorms
          ? heapTensor(heap, [T, 2], stepScaledPairs(DHT, T))
          : heapTensor(heap, [T, b, n], DHT);
    // ∂L/∂w = H_prevᵀ · dz over all (example, step) rows, H_prev's row (i, t) being h_{t−1} of
    // example i (h0 for t = 0), written transposed here: tfjs's Transpose kernel took 2.5 times
    // as long as this loop for [8192, 128] (fastest of 25).
    const HpT = hostScratch(S_HPT, size);
    const h0At = heapOffset(heap, h0) / 4;
    transposedPrev(Hh, heapF32(heap).subarray(h0At, h0At + b * n), HpT, T, b, n);
    const hPrevT = s.adopt(heapTensor(heap, [1, n, b * T], HpT));
    // du itself (reshaped, the same buffer) as the right operand: no second copy of DZ.
    const dz = s.reshape(du, [1, b * T, n]);
    const dw = s.reshape(s.adopt(matMul(backend, hPrevT, dz)), [n, n]);
    // Everything made here goes except dw, which the engine takes (it shares its source's data).
    s.finish(dw);
    return dhTotal === undefined ? [du, dw, dh0] : [du, dw, dh0, dhTotal];
  },
};

/**
 * The forward kernel with the element-wise step in wasm SIMD ({@link SimdWasm}): every step
 * reads the matmul's output and u_t and writes h_t straight into the heap tensors, no host copies.
 */
function forwardOnHeap(
  simd: SimdWasm,
  heap: WasmHeapBackend,
  backend: tf.KernelBackend,
  u: tf.TensorInfo,
  w: tf.TensorInfo,
  h0: tf.TensorInfo,
  b: number,
  T: number,
  n: number,
): tf.TensorInfo {
  const s = new KernelScratch(backend, 'wasm');
  const out = heap.makeOutput([b, T, n], 'float32');
  const helper = rowsHelper(simd, heap, 'rnn_forward_rows', b, T, n);
  if (helper !== undefined) {
    const y = s.adopt(heap.makeOutput([b, n], 'float32'));
    const [uAt, wAt, h0At, outAt, yAt] = [u, w, h0, out, y].map((t) => heapOffset(heap, t)) as number[];
    if (helper.rows('rnn_forward_rows', simd, [uAt!, wAt!, h0At!, outAt!, yAt!, T, n], b, ROW_CHUNK)) {
      rowCounts.forward++;
      return s.finish(out);
    }
    // A chunk trapped: redo the sequence below, on this thread, where the trap throws.
  }
  const w3 = freshMatMulB(s, backend, s.reshape(w, [1, n, n]));
  const hPrev = s.adopt(heap.makeOutput([1, b, n], 'float32'));
  const y = s.adopt(heap.makeOutput([1, b, n], 'float32'));
  const step = heapMatMul(heap, hPrev, w3, y, b, n, n);
  // Byte offsets: they stay valid when the heap grows (only views of it are replaced).
  const [uAt, outAt, hAt, yAt, h0At] = [u, out, hPrev, y, h0].map((t) => heapOffset(heap, t)) as number[];
  heapF32(heap).copyWithin(hAt! / 4, h0At! / 4, h0At! / 4 + b * n);
  for (let t = 0; t < T; t++) {
    step();
    simd.rnn_forward_step(yAt!, uAt!, hAt!, outAt!, t, T, b, n);
  }
  return s.finish(out);
}

/**
 * The backward kernel with the element-wise steps and the transposed h_{t−1} in wasm SIMD: du,
 * dhTotal and the step operands are written straight into their heap tensors.
 */
function backwardOnHeap(
  simd: SimdWasm,
  heap: WasmHeapBackend,
  backend: tf.KernelBackend,
  dh: tf.TensorInfo,
  h: tf.TensorInfo,
  w: tf.TensorInfo,
  h0: tf.TensorInfo,
  stepGradients: boolean,
  stepNorms: boolean,
  b: number,
  T: number,
  n: number,
): tf.TensorInfo[] {
  const s = new KernelScratch(backend, 'wasm');
  const wT = s.run('Transpose', { x: w }, { perm: [1, 0] });
  const du = heap.makeOutput([b, T, n], 'float32');
  // The module sums each step's pair only for n a multiple of 4 (its 4-wide loop holds every
  // element); otherwise the step gradients go to a scratch buffer and the pairs are taken here.
  const wasmPairs = stepNorms && n % 4 === 0;
  const dhTotal =
    stepNorms && !wasmPairs
      ? s.adopt(heap.makeOutput([T, b, n], 'float32'))
      : !stepNorms && stepGradients
        ? heap.makeOutput([T, b, n], 'float32')
        : undefined;
  const pairs = wasmPairs ? heap.makeOutput([T, 2], 'float32') : undefined;
  const dh0 = heap.makeOutput([b, n], 'float32');
  const dw = heap.makeOutput([n, n], 'float32');
  const at = (t: tf.TensorInfo | undefined): number => (t === undefined ? 0 : heapOffset(heap, t));
  const helper = rowsHelper(simd, heap, 'rnn_backward_rows', b, T, n);
  if (helper !== undefined) {
    // The rows' recurrences on two threads; the pairs afterwards from the step gradients (a
    // scratch when only the pairs are wanted), their steps shared too.
    const dht = pairs !== undefined ? s.adopt(heap.makeOutput([T, b, n], 'float32')) : dhTotal;
    const [dyAt, hAt, wTAt, duAt, dhtAt, dh0At, pairsAt] = [dh, h, wT, du, dht, dh0, pairs].map(
      at,
    ) as number[];
    const hasDht = dht === undefined ? 0 : 1;
    if (
      helper.rows(
        'rnn_backward_rows',
        simd,
        [dyAt!, hAt!, wTAt!, duAt!, dhtAt!, hasDht, dh0At!, T, b, n],
        b,
        ROW_CHUNK,
      ) &&
      (pairs === undefined || helper.rows('rnn_step_pairs', simd, [dhtAt!, pairsAt!, b * n], T))
    ) {
      rowCounts.backward++;
      return finishBackward(simd, heap, s, { h, h0, du, dw, dh0 }, dhTotal, pairs, stepNorms, T, b, n);
    }
    // A chunk trapped: redo it all below, on this thread, where the trap throws.
  }
  const dzIn = s.adopt(heap.makeOutput([1, b, n], 'float32'));
  const y = s.adopt(heap.makeOutput([1, b, n], 'float32'));
  const step = heapMatMul(heap, dzIn, freshMatMulB(s, backend, s.reshape(wT, [1, n, n])), y, b, n, n);
  const [dyAt, hAt, duAt, dhtAt, dzAt, yAt, pairsAt] = [dh, h, du, dhTotal, dzIn, y, pairs].map(
    at,
  ) as number[];
  const hasDht = dhTotal === undefined ? 0 : 1;
  const hasPairs = pairs === undefined ? 0 : 1;
  for (let t = T - 1; t >= 0; t--) {
    const hasG = t < T - 1 ? 1 : 0;
    simd.rnn_backward_step(
      dyAt!,
      hAt!,
      yAt!,
      hasG,
      duAt!,
      dhtAt!,
      hasDht,
      dzAt!,
      pairsAt!,
      hasPairs,
      t,
      T,
      b,
      n,
    );
    step();
  }
  heapF32(heap).copyWithin(at(dh0) / 4, yAt! / 4, yAt! / 4 + b * n);
  return finishBackward(simd, heap, s, { h, h0, du, dw, dh0 }, dhTotal, pairs, stepNorms, T, b, n);
}

/**
 * The backward kernel's last part, after the steps: ∂L/∂w, and the fourth output (the pairs, the
 * module's or taken here from the scratch dhTotal; the step gradients; or none).
 */
function finishBackward(
  simd: SimdWasm,
  heap: WasmHeapBackend,
  s: KernelScratch,
  { h, h0, du, dw, dh0 }: Record<'h' | 'h0' | 'du' | 'dw' | 'dh0', tf.TensorInfo>,
  dhTotal: tf.TensorInfo | undefined,
  pairs: tf.TensorInfo | undefined,
  stepNorms: boolean,
  T: number,
  b: number,
  n: number,
): tf.TensorInfo[] {
  // ∂L/∂w = H_prevᵀ · dz over all (example, step) rows, read in place from H, h0 and du: no
  // transposed copy of H_prev, and no packing of a fresh [b·T, n] right operand, which took
  // XNNPACK about as long as the product itself (BENCHMARKS.md, "The fused tanh RNN").
  const at = (t: tf.TensorInfo): number => heapOffset(heap, t);
  weightGradient(simd, heap, [at(h), at(h0), at(du), at(dw)], T, b, n);
  let steps: tf.TensorInfo | undefined = pairs ?? dhTotal;
  if (stepNorms && pairs === undefined && dhTotal !== undefined) {
    const dhtAt = at(dhTotal) / 4;
    steps = heapTensor(heap, [T, 2], stepScaledPairs(heapF32(heap).subarray(dhtAt, dhtAt + T * b * n), T));
  }
  s.finish(dw);
  return steps === undefined ? [du, dw, dh0] : [du, dw, dh0, steps];
}

/**
 * Batch rows per chunk of the two-thread recurrences: one 4-row register tile of the module's
 * matmul, which reads w once a step whatever the chunk, so smaller chunks cost no arithmetic and
 * balance a helper that wakes late (four chunks of 8 rows left it more to the kernel's thread).
 */
const ROW_CHUNK = 4;

const rowCounts = { forward: 0, backward: 0 };

/**
 * Sequences whose recurrences ran on two threads, the batch's rows split between them
 * (`rnn_forward_rows`, `rnn_backward_rows`), so far in this process (for tests: that it ran).
 */
export function rnnRowRuns(): { readonly forward: number; readonly backward: number } {
  return { ...rowCounts };
}

/**
 * gflow's SIMD helper thread for a whole sequence's rows (`rnn_forward_rows` or
 * `rnn_backward_rows`) where it runs, the full module has the function, and the batch splits
 * into two chunks or more of a product big enough to share; else undefined (one thread, with
 * XNNPACK's product at every step).
 */
function rowsHelper(
  simd: SimdWasm,
  heap: WasmHeapBackend,
  fn: 'rnn_forward_rows' | 'rnn_backward_rows',
  b: number,
  T: number,
  n: number,
): SimdHelper | undefined {
  if (simd[fn] === undefined || b <= ROW_CHUNK || 2 * b * T * n * n < HELPER_MIN_FLOPS) return undefined;
  return simdHelper(heap);
}

/**
 * dW = Σ h_{t−1}ᵀ dz_t (`rnn_weight_grad`) into the heap tensor at `at[3]`, its rows shared with
 * gflow's SIMD helper thread where one runs ({@link simdHelper}), in chunks that either thread
 * takes: the same bits either way, as each element is summed in the same order.
 */
function weightGradient(
  simd: SimdWasm,
  heap: WasmHeapBackend,
  at: [h: number, h0: number, dz: number, dw: number],
  T: number,
  b: number,
  n: number,
): void {
  const [hAt, h0At, dzAt, dwAt] = at;
  const zero = () => heapF32(heap).fill(0, dwAt / 4, dwAt / 4 + n * n); // rnn_weight_grad adds onto dW
  zero();
  const helper = n >= 8 && 2 * b * T * n * n >= HELPER_MIN_FLOPS ? simdHelper(heap) : undefined;
  if (helper?.rows('rnn_weight_grad', simd, [hAt, h0At, dzAt, dwAt, T, b, n], n)) return;
  if (helper !== undefined) zero(); // a chunk trapped: redo it all here, where the trap throws
  simd.rnn_weight_grad(hAt, h0At, dzAt, dwAt, T, b, n, 0, n);
}

// The loops live in small functions of their own (see Tanh.ts: V8 compiles a loop inside the
// kernel function by on-stack replacement and throws that code away at every call).

/** Beyond this |x|, tanh x rounds to ±1 in float32 (tanh 9 = 1 − 3e-8). */
const TANH_ONE = 9;
/** The rational approximation's clamp (Eigen's `generic_fast_tanh_float`). */
const TANH_CLAMP = 7.905311107635498;

/**
 * tanh in float64 arithmetic as the [13/6] rational minimax approximation x·P(x²)/Q(x²) of Eigen's
 * `generic_fast_tanh_float` (clamped at ±7.905), x itself below |x| = 0.0004: within 2.4e-7
 * (relative, one float32 ulp) of `Math.tanh` once rounded to float32 (tested), and about twice as
 * fast in V8, which matters with 256 × 4096 of them per sequence. NaN stays NaN; ±∞ give ±1.
 */
/** Eigen's [13/6] rational tanh x·P(x²)/Q(x²) for |x| ≤ 9, shared by {@link tanh} and {@link tanhF32}. */
function rationalTanh(x: number): number {
  const x2 = x * x;
  let p = -2.76076847742355e-16;
  p = p * x2 + 2.00018790482477e-13;
  p = p * x2 - 8.60467152213735e-11;
  p = p * x2 + 5.12229709037114e-8;
  p = p * x2 + 1.48572235717979e-5;
  p = p * x2 + 6.37261928875436e-4;
  p = p * x2 + 4.89352455891786e-3;
  let q = 1.19825839466702e-6;
  q = q * x2 + 1.18534705686654e-4;
  q = q * x2 + 2.268434632439e-3;
  q = q * x2 + 4.89352518554385e-3;
  return (x * p) / q;
}

export function tanh(v: number): number {
  const a = Math.abs(v);
  if (a < 0.0004) return v;
  if (a >= TANH_ONE) return v > 0 ? 1 : -1;
  const x = a > TANH_CLAMP ? (v > 0 ? TANH_CLAMP : -TANH_CLAMP) : v;
  return rationalTanh(x);
}

/**
 * {@link tanh} for a result that is stored as float32, without a branch: the same rational
 * approximation with the argument clamped at ±9, where it is 0.99999998, which rounds to 1 in
 * float32. Once rounded to float32 it is within 1.9e-7 (relative) of `Math.tanh` and exactly ±1
 * for |x| ≥ 9 and ±∞ (tested); NaN stays NaN and −0 stays −0. V8 runs the forward kernel's loop
 * with it in about 5 ms instead of 8 ms for 256 × 4096 values (BENCHMARKS.md, "The fused tanh RNN").
 */
export function tanhF32(v: number): number {
  // biome-ignore lint/complexity/useMathMinMax: the ternaries keep V8's loop as fast as measured
  const x = v > TANH_ONE ? TANH_ONE : v < -TANH_ONE ? -TANH_ONE : v;
  return rationalTanh(x);
}

/** h_t = tanh(y + u_t) into row (contiguous [b, n]) and H (rows (i, t) of [b, T, n]). */
function forwardStep(
  y: Float32Array,
  U: Float32Array,
  H: Float32Array,
  row: Float32Array,
  t: number,
  T: number,
  b: number,
  n: number,
): void {
  for (let i = 0; i < b; i++) {
    const at = (i * T + t) * n;
    const r = i * n;
    for (let j = 0; j < n; j++) {
      const v = tanhF32(y[r + j]! + U[at + j]!);
      row[r + j] = v;
      H[at + j] = v;
    }
  }
}

/** ∂L/∂h_t = dy_t + g, into DHT (step-major) ; dz_t = ∂L/∂h_t (1 − h_t²) into DZ and row. */
function backwardStep(
  DY: Float32Array,
  H: Float32Array,
  g: Float32Array | undefined,
  DZ: Float32Array,
  DHT: Float32Array | undefined,
  row: Float32Array,
  t: number,
  T: number,
  b: number,
  n: number,
): void {
  const base = t * b * n;
  for (let i = 0; i < b; i++) {
    const at = (i * T + t) * n;
    const r = i * n;
    for (let j = 0; j < n; j++) {
      const d = g === undefined ? DY[at + j]! : DY[at + j]! + g[r + j]!;
      if (DHT !== undefined) DHT[base + r + j] = d;
      const hv = H[at + j]!;
      const z = d * (1 - hv * hv);
      DZ[at + j] = z;
      row[r + j] = z;
    }
  }
}

/** HpT [n, b·T] with column (i, t) = h_{t−1} of example i (h0's row i for t = 0). */
export function transposedPrev(
  H: Float32Array,
  h0: Float32Array,
  HpT: Float32Array,
  T: number,
  b: number,
  n: number,
): void {
  const cols = b * T;
  for (let i = 0; i < b; i++) {
    const c0 = i * T;
    for (let j = 0; j < n; j++) HpT[j * cols + c0] = h0[i * n + j]!;
    let t = 1;
    // Eight steps at a time: each write touches 8 adjacent floats of HpT's row j, not one per
    // 32 KiB stride (BENCHMARKS.md, "The fused tanh RNN").
    for (; t + 8 <= T; t += 8) {
      const from = (c0 + t - 1) * n;
      const c = c0 + t;
      for (let j = 0; j < n; j++) {
        const o = j * cols + c;
        const f = from + j;
        HpT[o] = H[f]!;
        HpT[o + 1] = H[f + n]!;
        HpT[o + 2] = H[f + 2 * n]!;
        HpT[o + 3] = H[f + 3 * n]!;
        HpT[o + 4] = H[f + 4 * n]!;
        HpT[o + 5] = H[f + 5 * n]!;
        HpT[o + 6] = H[f + 6 * n]!;
        HpT[o + 7] = H[f + 7 * n]!;
      }
    }
    for (; t < T; t++) {
      const from = (c0 + t - 1) * n;
      const c = c0 + t;
      for (let j = 0; j < n; j++) HpT[j * cols + c] = H[from + j]!;
    }
  }
}
