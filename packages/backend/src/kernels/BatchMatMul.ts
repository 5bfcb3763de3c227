import type * as tf from '@tensorflow/tfjs';
import { hostTransposed } from '../internal/host-transpose.js';
import { freshMatMulB, seenAsMatMulB } from '../internal/packed-operand.js';
import { HELPER_MIN_FLOPS, type SimdHelper, simdHelper } from '../internal/simd-helper.js';
import { type SimdWasm, simdWasm } from '../internal/simd-wasm.js';
import { asWasmHeap, heapF32, heapOffset, type WasmHeapBackend } from '../internal/wasm-heap-view.js';
import { KernelScratch } from '../internal/wasm-scratch.js';

/**
 * A wasm `BatchMatMul` that never hands tfjs's kernel a transposed operand.
 *
 * tfjs-backend-wasm 4.22 runs `BatchMatMul` on XNNPACK only when neither `transposeA` nor
 * `transposeB` is set; with either it falls back to a scalar loop, 10–25 times slower. Every
 * backward pass of a dense layer asks for both (dX = dY·Wᵀ, dW = Xᵀ·dY). This fill swaps the last
 * two axes of the transposed operand explicitly (the `Transpose` kernel, one copy) and calls the
 * stock kernel untransposed: A·B with A' = transpose(A) when `transposeA`, likewise B. Batch
 * broadcasting is left to the stock kernel. What it saves is measured in BENCHMARKS.md
 * ("What each lever bought"). A `b` whose buffer tfjs
 * already packed in another shape is copied first (see `internal/packed-operand.ts`).
 *
 * tfjs packs `b` (XNNPACK's weights) at every call with a new buffer, which costs more than the
 * product when `b` is a weight matrix that an optimizer replaces at every step. For 2-D products
 * where `b` is much larger than `a`, the fill therefore computes the transposed product instead,
 * so that the batch-sized operand is the one packed: x·W as (Wᵀ·xᵀ)ᵀ for a W never packed before,
 * dY·Wᵀ as (W·dYᵀ)ᵀ, and Xᵀ·dY as (dYᵀ·X)ᵀ for a wide dY.
 *
 * @param stock - tfjs's own wasm `BatchMatMul` config (its `setupFunc` is kept).
 */
export function batchMatMulWasmConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const stockFunc = stock.kernelFunc;
  return {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    ...(stock.setupFunc !== undefined ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as { transposeA?: boolean; transposeB?: boolean };
      const s = new KernelScratch(args.backend as tf.KernelBackend, 'wasm');
      const route: Route = { s, args, stockFunc, a, b };
      if (!transposeA && !transposeB) {
        const viaT = freshWeightForward(route);
        if (viaT !== undefined) return viaT;
        const bb = asB(route, b);
        if (bb === b) return stockFunc(args);
        return s.finish(stockFunc({ ...args, inputs: { a, b: bb } }) as tf.TensorInfo);
      }
      const routed =
        transposeA && !transposeB
          ? wideWeightGradient(route)
          : !transposeA
            ? inputGradient(route)
            : undefined;
      if (routed !== undefined) return routed;
      const swapLast = (x: tf.TensorInfo): tf.TensorInfo => {
        const r = x.shape.length;
        const perm = [...Array(r).keys()];
        perm[r - 1] = r - 2;
        perm[r - 2] = r - 1;
        return s.run('Transpose', { x }, { perm });
      };
      const out = stockFunc({
        inputs: { a: transposeA ? swapLast(a) : a, b: asB(route, transposeB ? swapLast(b) : b) },
        backend: args.backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      }) as tf.TensorInfo;
      return s.finish(out);
    },
  };
}

/** What each route of the fill works with. */
interface Route {
  readonly s: KernelScratch;
  readonly args: Parameters<tf.KernelFunc>[0];
  readonly stockFunc: tf.KernelFunc;
  readonly a: tf.TensorInfo;
  readonly b: tf.TensorInfo;
}

/** The operand handed to tfjs's kernel as `b`, copied when tfjs packed its buffer in another shape. */
function asB(r: Route, x: tf.TensorInfo): tf.TensorInfo {
  return freshMatMulB(r.s, r.args.backend, x);
}

/** tfjs's kernel on two untransposed operands, its output adopted by the scratch. */
function stockProduct(r: Route, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return r.s.adopt(
    r.stockFunc({
      inputs: { a, b },
      backend: r.args.backend,
      attrs: { ...r.args.attrs, transposeA: false, transposeB: false },
    }) as tf.TensorInfo,
  );
}

/** Both operands 2-D float32. */
function plain2d(a: tf.TensorInfo, b: tf.TensorInfo): boolean {
  return a.shape.length === 2 && b.shape.length === 2 && a.dtype === 'float32' && b.dtype === 'float32';
}

/**
 * A·B with a B that tfjs has not packed yet and that is large next to A (x·W in a dense layer's
 * forward pass, W fresh after every optimizer step). Where gflow's SIMD helper thread runs and the
 * product is large, by gflow's wasm SIMD module on two threads, reading both operands in place
 * (nothing packed or transposed). Otherwise computed as (Bᵀ·Aᵀ)ᵀ, so that XNNPACK packs the
 * batch-sized Aᵀ instead of B. Chosen when K·N + 4·M·K + M·N < 3·K·N: one transpose each of B, A
 * and the output against packing B, packing an element counted as about three transposes of it
 * (BENCHMARKS.md, "mlp-train-50: where the training step went"). A B seen before keeps the stock
 * path: its second use packs it, and later uses find the packing (a constant weight). `undefined`
 * when the route does not apply.
 */
function freshWeightForward(r: Route): tf.TensorInfo | undefined {
  const { s, a, b } = r;
  if (!plain2d(a, b)) return undefined;
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1] as number;
  if (!(4 * m * k + m * n < 2 * k * n) || seenAsMatMulB(b)) return undefined;
  if (2 * m * k * n >= HELPER_MIN_FLOPS && m >= 8) {
    const heap = asWasmHeap(r.args.backend);
    const simd = simdWasm(heap);
    const helper = simd === undefined ? undefined : simdHelper(heap);
    if (simd !== undefined && helper !== undefined) {
      const shared = moduleProduct(heap, simd, helper, a, b, k, m, n, k, 1);
      if (shared !== undefined) return shared;
    }
  }
  const bT = s.run('Transpose', { x: b }, { perm: [1, 0] });
  const aT = s.run('Transpose', { x: a }, { perm: [1, 0] });
  return s.finish(s.run('Transpose', { x: stockProduct(r, bT, aT) }, { perm: [1, 0] }));
}

/**
 * A fresh [m, n] heap tensor c = A · b by gflow's SIMD `matmul` (A(j, r) = a[j·aq + r·ar], b
 * [K, n]), on this thread, or shared with `helper` when given; `undefined` (and nothing left) if a
 * chunk trapped there, for another route to run and report it.
 */
function moduleProduct(
  heap: WasmHeapBackend,
  simd: SimdWasm,
  helper: SimdHelper | undefined,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  K: number,
  m: number,
  n: number,
  aq: number,
  ar: number,
): tf.TensorInfo | undefined {
  const out = heap.makeOutput([m, n], 'float32');
  const at = heapOffset(heap, out);
  heapF32(heap).fill(0, at / 4, at / 4 + m * n); // matmul adds onto c
  const args = [heapOffset(heap, a), heapOffset(heap, b), at, K, n, aq, ar] as const;
  if (helper === undefined) {
    simd.matmul(...args, 0, m);
    return out;
  }
  if (helper.rows('matmul', simd, [...args], m)) return out;
  heap.disposeData(out.dataId);
  return undefined;
}

/**
 * Aᵀ·B with B much wider than A (a weight gradient Xᵀ·dY, X [K, M] and dY [K, N], N ≥ 4M): for
 * M ≤ 32, by gflow's wasm SIMD loop reading A and B in place where it runs (no copy, nothing
 * packed; the same float32 sums as the route below; from M = 64 on two XNNPACK threads caught up,
 * BENCHMARKS.md), its rows shared with the SIMD helper thread where one runs, M ≥ 8 and the
 * product is above the helper's 2²² flops (the RNN benchmark's ∂W_xh, [16, 8192]·[8192, 128]:
 * 0.86–1.02 ms instead of 1.18–1.55, same bits); otherwise computed as (Bᵀ·A)ᵀ, so that XNNPACK packs the narrow A as
 * its weights (and reuses the packing while A's buffer lives, e.g. a model's inputs) instead of
 * packing the wide B afresh, with the two transpositions by `hostTransposed`. BENCHMARKS.md, "The
 * fused tanh RNN", has the times. `undefined` when the route does not apply.
 */
function wideWeightGradient(r: Route): tf.TensorInfo | undefined {
  const { s, a, b } = r;
  if (!plain2d(a, b) || (b.shape[1] as number) < 4 * (a.shape[1] as number)) return undefined;
  const heap = asWasmHeap(r.args.backend);
  const [K, M] = a.shape as [number, number];
  const simd = M <= 32 ? simdWasm(heap) : undefined;
  if (simd !== undefined) {
    const N = b.shape[1] as number;
    const helper = M >= 8 && 2 * K * M * N >= HELPER_MIN_FLOPS ? simdHelper(heap) : undefined;
    // A chunk that trapped on either thread: the whole product again on this one, where it throws.
    return (
      moduleProduct(heap, simd, helper, a, b, K, M, N, 1, M) ??
      moduleProduct(heap, simd, undefined, a, b, K, M, N, 1, M)
    );
  }
  const bT = s.adopt(hostTransposed(heap, b));
  return s.finish(hostTransposed(heap, stockProduct(r, bT, asB(r, a))));
}

/**
 * A·Bᵀ with B much larger than A (an input gradient dY·Wᵀ, dY [M, N] and W [K, N], M the batch):
 * computed as (B·Aᵀ)ᵀ, so that XNNPACK packs the small Aᵀ [N, M] as its weights instead of
 * packing a transposed copy of the large B afresh (W changes at every optimizer step, so that
 * packing is never reused), and B is read as it lies. Chosen by the elements moved: 4·M·N + M·K
 * (a transpose each of A and the output, packing Aᵀ counted as three transposes) against 4·K·N
 * (transposing and packing B). `undefined` when the route does not apply.
 */
function inputGradient(r: Route): tf.TensorInfo | undefined {
  const { s, a, b } = r;
  if (!plain2d(a, b)) return undefined;
  const [m, n] = a.shape as [number, number];
  const k = b.shape[0] as number;
  if (!(4 * m * n + m * k < 4 * k * n)) return undefined;
  const aT = s.run('Transpose', { x: a }, { perm: [1, 0] });
  return s.finish(s.run('Transpose', { x: stockProduct(r, b, asB(r, aT)) }, { perm: [1, 0] }));
}
