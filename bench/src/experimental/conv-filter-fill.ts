/**
 * EXPERIMENT (not used by the default benchmark): wasm `Conv2DBackpropFilter` as one matmul per
 * kernel tap, for stride 1, dilation 1, NHWC.
 *
 * dW[i, j, c, o] = Σ_{b,p,q} x[b, p + i − top, q + j − left, c] · dy[b, p, q, o]. With x padded and
 * transposed once to [C, N, H', W'], the tap (i, j) is the slice [C, N, oh, ow] at offset (i, j),
 * flattened to [C, N·oh·ow], times dy flattened to [N·oh·ow, O]: an untransposed matmul, the
 * case XNNPACK runs fast. `@gflow/backend`'s fill instead runs one convolution whose "kernel" is
 * the output gradient (oh × ow) over the batch as channels, which XNNPACK tiles poorly. Other
 * strides and dilations go to the kernel registered before (gflow's fill).
 *
 * Result (bench/experiments/conv-filter-fill-check.mjs, x [4,32,32,64], 3×3×64×64, loaded machine):
 * correct (3.6e-6 relative to the cpu backend) but NOT faster: 219-229 ms against 197-216 ms for
 * gflow's fill; XNNPACK's [64 × 4096]·[4096 × 64] products are no better tiled. Kept as evidence.
 */
import * as tf from '@tensorflow/tfjs';

type Attrs = Record<string, unknown>;

let installed = false;

/** Replaces the wasm `Conv2DBackpropFilter` kernel for stride 1 (idempotent); call after `initBackend`. */
export function registerTapMatmulFilterGrad(): void {
  if (installed) return;
  const previous = tf.getKernel('Conv2DBackpropFilter', 'wasm');
  if (previous === undefined)
    throw new Error('registerTapMatmulFilterGrad: no wasm Conv2DBackpropFilter to fall back on');
  const k = (name: string) => {
    const kernel = tf.getKernel(name, 'wasm');
    if (kernel === undefined) throw new Error(`registerTapMatmulFilterGrad: wasm kernel ${name} missing`);
    return kernel.kernelFunc;
  };
  const [pad, transpose, slice, reshape, matmul, concat] = [
    'PadV2',
    'Transpose',
    'Slice',
    'Reshape',
    'BatchMatMul',
    'Concat',
  ].map(k) as [tf.KernelFunc, tf.KernelFunc, tf.KernelFunc, tf.KernelFunc, tf.KernelFunc, tf.KernelFunc];
  tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as {
        strides: number | [number, number];
        pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        a.filterShape,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
      );
      if (a.dataFormat === 'NCHW' || info.strideHeight !== 1 || info.strideWidth !== 1)
        return previous.kernelFunc(args);
      const made: tf.TensorInfo[] = [];
      const run = (
        f: tf.KernelFunc,
        ins: Record<string, tf.TensorInfo | tf.TensorInfo[]>,
        at: Attrs,
      ): tf.TensorInfo => {
        const out = f({
          inputs: ins as unknown as tf.NamedTensorInfoMap,
          backend,
          attrs: at as tf.NamedAttrMap,
        }) as tf.TensorInfo;
        made.push(out);
        return out;
      };
      const [n, h, w, c] = x.shape as [number, number, number, number];
      const { filterHeight: kh, filterWidth: kw, outHeight: oh, outWidth: ow, outChannels: co } = info;
      const top = info.padInfo.top;
      const left = info.padInfo.left;
      const bottom = oh - 1 + kh - h - top;
      const right = ow - 1 + kw - w - left;
      if (bottom < 0 || right < 0 || top < 0 || left < 0) return previous.kernelFunc(args);
      const xp = run(
        pad,
        { x },
        {
          paddings: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          constantValue: 0,
        },
      );
      const xt = run(transpose, { x: xp }, { perm: [3, 0, 1, 2] }); // [C, N, H', W']
      const d = run(reshape, { x: dy }, { shape: [1, n * oh * ow, co] });
      const taps: tf.TensorInfo[] = [];
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const s = run(slice, { x: xt }, { begin: [0, 0, i, j], size: [c, n, oh, ow] });
          const s2 = run(reshape, { x: s }, { shape: [1, c, n * oh * ow] });
          taps.push(run(matmul, { a: s2, b: d }, { transposeA: false, transposeB: false })); // [1, C, O]
        }
      }
      const all = run(concat, taps as unknown as Record<string, tf.TensorInfo>, { axis: 0 }); // [kh·kw, C, O]
      const out = reshape({
        inputs: { x: all },
        backend,
        attrs: { shape: [kh, kw, c, co] },
      }) as tf.TensorInfo;
      // Reshape shares data and increments its reference count: every intermediate is released once.
      for (const t of made) (backend as tf.KernelBackend).disposeData(t.dataId);
      return out;
    },
  });
  installed = true;
}
