// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import './internal/node-host.js';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BackendInfo, initBackend } from './init-backend.js';
import { kernelFillsFor, replacedKernel } from './register-kernel-fills.js';
import { noLeak } from './test-utils/derivatives.js';
import { f32, randn, relErr } from './test-utils/random.js';
import * as ref from './test-utils/reference.js';

/** Runs the cpu backend's own kernel on plain arrays (the reference for every fill). */
function cpuKernel(
  name: string,
  inputs: Record<string, { values: Float32Array | Int32Array; shape: number[]; dtype?: tf.DataType }>,
  attrs: Record<string, unknown>,
  original = true,
): { values: Float32Array; shape: number[] } {
  const cpu = tf.findBackend('cpu') as tf.KernelBackend;
  const infos: Record<string, tf.TensorInfo> = {};
  for (const [k, v] of Object.entries(inputs)) {
    const dtype = v.dtype ?? 'float32';
    infos[k] = { dataId: cpu.write(v.values, v.shape, dtype), shape: v.shape, dtype };
  }
  // tfjs's own cpu kernel, also where gflow replaced it (cpu Conv2DBackpropFilter).
  const kernel = (original ? replacedKernel(name, 'cpu') : undefined) ?? tf.getKernel(name, 'cpu')!;
  const out = kernel.kernelFunc({ inputs: infos, backend: cpu, attrs: attrs as tf.NamedAttrMap });
  const info = (Array.isArray(out) ? out[0] : out) as tf.TensorInfo;
  const values = Float32Array.from(cpu.readSync(info.dataId) as Float32Array);
  cpu.disposeData(info.dataId);
  for (const i of Object.values(infos)) cpu.disposeData(i.dataId);
  return { values, shape: info.shape };
}

/** Runs kernel `name` on the active (wasm) backend through the engine. */
function wasmKernel(
  name: string,
  inputs: Record<string, { values: Float32Array | Int32Array; shape: number[]; dtype?: tf.DataType }>,
  attrs: Record<string, unknown>,
): { values: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const ts: tf.NamedTensorMap = {};
    for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.values, v.shape, v.dtype ?? 'float32');
    const out = tf.engine().runKernel(name, ts, attrs as tf.NamedAttrMap) as tf.Tensor;
    return { values: Float32Array.from(out.dataSync() as Float32Array), shape: out.shape };
  });
}

const geometry = fc.record({
  batch: fc.constantFrom(1, 3),
  h: fc.integer({ min: 3, max: 9 }),
  w: fc.integer({ min: 3, max: 9 }),
  ci: fc.integer({ min: 1, max: 5 }),
  co: fc.integer({ min: 1, max: 5 }),
  k: fc.constantFrom(1, 2, 3),
  stride: fc.constantFrom(1, 2),
  pad: fc.constantFrom('same' as const, 'valid' as const),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

describe('kernel fills', () => {
  let info: BackendInfo;
  beforeAll(async () => {
    info = await initBackend({ prefer: 'wasm' });
    expect(info.name).toBe('wasm');
  });

  it('are listed in fills and registered for wasm', () => {
    expect(info.fills).toEqual(
      expect.arrayContaining(['kernel:Conv2DBackpropFilter', 'kernel:Conv2DBackpropInput']),
    );
    for (const f of kernelFillsFor('wasm'))
      expect(tf.getKernel(f.slice('kernel:'.length), 'wasm')).toBeDefined();
    expect(kernelFillsFor('cpu')).toEqual(['kernel:Conv2DBackpropFilter']);
  });

  it('Conv2DBackpropFilter and Conv2DBackpropInput (wasm, and the cpu Conv2DBackpropFilter fill) match the tfjs cpu kernel and float64 sums over random geometries', () => {
    noLeak(() => {
      fc.assert(
        fc.property(geometry, (g) => {
          fc.pre(g.pad === 'same' || (g.h >= g.k && g.w >= g.k));
          const xs: ref.Shape4 = [g.batch, g.h, g.w, g.ci];
          const ws: ref.Shape4 = [g.k, g.k, g.ci, g.co];
          const geo = { stride: g.stride, dilation: 1, pad: g.pad };
          const r = ref.resolve(g.h, g.w, g.k, g.k, geo);
          const ys: ref.Shape4 = [g.batch, r.outH, r.outW, g.co];
          const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
          const x = f32(randn(size(xs), g.seed));
          const dy = f32(randn(size(ys), g.seed + 1));
          const w = f32(randn(size(ws), g.seed + 2));
          const attrs = { strides: g.stride, pad: g.pad, dataFormat: 'NHWC' };

          const fAttrs = { ...attrs, filterShape: [...ws] };
          const fIn = { x: { values: x, shape: [...xs] }, dy: { values: dy, shape: [...ys] } };
          const dwWasm = wasmKernel('Conv2DBackpropFilter', fIn, fAttrs);
          const dwCpu = cpuKernel('Conv2DBackpropFilter', fIn, fAttrs);
          const dwRef = ref.conv2dBackpropFilter(x, xs, dy, ws, geo);
          expect(dwWasm.shape).toEqual([...ws]);
          expect(relErr(dwWasm.values, dwCpu.values)).toBeLessThan(1e-5);
          expect(relErr(dwWasm.values, dwRef)).toBeLessThan(1e-5);
          const dwCpuFill = cpuKernel('Conv2DBackpropFilter', fIn, fAttrs, false);
          expect(relErr(dwCpuFill.values, dwRef)).toBeLessThan(1e-5);

          const iAttrs = { ...attrs, inputShape: [...xs] };
          const iIn = { dy: { values: dy, shape: [...ys] }, filter: { values: w, shape: [...ws] } };
          const dxWasm = wasmKernel('Conv2DBackpropInput', iIn, iAttrs);
          const dxCpu = cpuKernel('Conv2DBackpropInput', iIn, iAttrs);
          const dxRef = ref.conv2dBackpropInput(xs, dy, w, ws, geo);
          expect(dxWasm.shape).toEqual([...xs]);
          expect(relErr(dxWasm.values, dxCpu.values)).toBeLessThan(1e-5);
          expect(relErr(dxWasm.values, dxRef)).toBeLessThan(1e-5);
        }),
        { seed: 20261122, numRuns: 60 },
      );
    });
  });

  it('stride-1 filter and input gradients with non-square kernels and explicit padding match tfjs cpu kernels', () => {
    // The wasm filter gradient of a stride-1 convolution runs as one matmul per tap over shifted
    // views of the padded input; these geometries move the views by unequal row and column
    // offsets, and explicit (asymmetric, and for the input gradient, cropping) padding.
    noLeak(() => {
      const cases = [
        { xs: [2, 7, 5, 3], k: [3, 2], pad: 'same' },
        { xs: [1, 6, 9, 4], k: [1, 3], pad: 'valid' },
        {
          xs: [3, 5, 6, 2],
          k: [2, 3],
          pad: [
            [0, 0],
            [2, 0],
            [1, 3],
            [0, 0],
          ],
        },
        {
          xs: [1, 4, 4, 5],
          k: [3, 3],
          pad: [
            [0, 0],
            [0, 1],
            [2, 2],
            [0, 0],
          ],
        },
      ] as const;
      for (const [n, c] of cases.entries()) {
        const [kh, kw] = c.k;
        const ws = [kh, kw, c.xs[3], 4];
        const info = tf.backend_util.computeConv2DInfo(
          [...c.xs] as [number, number, number, number],
          ws as [number, number, number, number],
          1,
          1,
          c.pad as 'same',
        );
        const ys = [...info.outShape];
        const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
        const x = f32(randn(size(c.xs), 70 + n));
        const dy = f32(randn(size(ys), 80 + n));
        const w = f32(randn(size(ws), 90 + n));
        const attrs = { strides: 1, pad: c.pad, dataFormat: 'NHWC' };
        const fIn = { x: { values: x, shape: [...c.xs] }, dy: { values: dy, shape: ys } };
        const fAttrs = { ...attrs, filterShape: ws };
        const dw = wasmKernel('Conv2DBackpropFilter', fIn, fAttrs);
        expect(dw.shape).toEqual(ws);
        expect(relErr(dw.values, cpuKernel('Conv2DBackpropFilter', fIn, fAttrs).values)).toBeLessThan(1e-5);
        const iIn = { dy: { values: dy, shape: ys }, filter: { values: w, shape: ws } };
        const iAttrs = { ...attrs, inputShape: [...c.xs] };
        const dx = wasmKernel('Conv2DBackpropInput', iIn, iAttrs);
        expect(dx.shape).toEqual([...c.xs]);
        expect(relErr(dx.values, cpuKernel('Conv2DBackpropInput', iIn, iAttrs).values)).toBeLessThan(1e-5);
      }
    });
  });

  it('the stride-1 filter gradient on its compact grid matches float64 sums and the cpu kernel over random explicit paddings', () => {
    // The tap matmuls lay x out on a grid whose images share their padding (a tap reading past
    // one image's last row or column lands in the next one's top rows or left columns): random
    // asymmetric paddings, wider and narrower than the kernel, odd sizes, batch 1 to 3, and
    // inputs that the taps only partly read.
    const explicit = fc.record({
      batch: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 1, max: 8 }),
      w: fc.integer({ min: 1, max: 8 }),
      ci: fc.integer({ min: 1, max: 4 }),
      co: fc.integer({ min: 1, max: 4 }),
      kh: fc.integer({ min: 1, max: 4 }),
      kw: fc.integer({ min: 1, max: 4 }),
      pads: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 4, maxLength: 4 }),
      seed: fc.integer({ min: 1, max: 1_000_000 }),
    });
    noLeak(() => {
      fc.assert(
        fc.property(explicit, (g) => {
          const [top, bottom, left, right] = g.pads as [number, number, number, number];
          const oh = g.h + top + bottom - g.kh + 1;
          const ow = g.w + left + right - g.kw + 1;
          fc.pre(oh >= 1 && ow >= 1);
          const xs = [g.batch, g.h, g.w, g.ci];
          const ys = [g.batch, oh, ow, g.co];
          const ws = [g.kh, g.kw, g.ci, g.co];
          const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
          const x = f32(randn(size(xs), g.seed));
          const dy = f32(randn(size(ys), g.seed + 1));
          // float64: dW[i, j, c, o] = Σ x[b, p + i − top, q + j − left, c] · dy[b, p, q, o].
          const expected = new Float64Array(size(ws));
          for (let b = 0; b < g.batch; b++)
            for (let p = 0; p < oh; p++)
              for (let q = 0; q < ow; q++)
                for (let i = 0; i < g.kh; i++)
                  for (let j = 0; j < g.kw; j++) {
                    const u = p + i - top;
                    const v = q + j - left;
                    if (u < 0 || u >= g.h || v < 0 || v >= g.w) continue;
                    for (let c = 0; c < g.ci; c++)
                      for (let o = 0; o < g.co; o++) {
                        const at = ((i * g.kw + j) * g.ci + c) * g.co + o;
                        expected[at] =
                          expected[at]! +
                          x[((b * g.h + u) * g.w + v) * g.ci + c]! * dy[((b * oh + p) * ow + q) * g.co + o]!;
                      }
                  }
          const pad = [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ];
          const fIn = { x: { values: x, shape: xs }, dy: { values: dy, shape: ys } };
          const fAttrs = { strides: 1, pad, dataFormat: 'NHWC', filterShape: ws };
          const dw = wasmKernel('Conv2DBackpropFilter', fIn, fAttrs);
          expect(dw.shape).toEqual(ws);
          expect(relErr(dw.values, expected)).toBeLessThan(1e-5);
          expect(relErr(dw.values, cpuKernel('Conv2DBackpropFilter', fIn, fAttrs).values)).toBeLessThan(1e-5);
        }),
        { seed: 20261207, numRuns: 80 },
      );
    });
  });

  it('conv2d gradients with dilation 2 (through the fills) match float64 sums', () => {
    noLeak(() => {
      for (const [pad, batch, h, w] of [
        ['same', 1, 7, 5],
        ['valid', 3, 6, 7],
      ] as const) {
        const xs: ref.Shape4 = [batch, h, w, 3];
        const ws: ref.Shape4 = [3, 3, 3, 2];
        const geo = { stride: 1, dilation: 2, pad };
        const r = ref.resolve(h, w, 3, 3, geo);
        const ys: ref.Shape4 = [batch, r.outH, r.outW, 2];
        const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
        const x = f32(randn(size(xs), 5));
        const f = f32(randn(size(ws), 6));
        const dy = f32(randn(size(ys), 7));
        const [gx, gf] = tf.tidy(() => {
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad, 'NHWC', 2),
          )([tf.tensor4d(x, [...xs]), tf.tensor4d(f, [...ws])], tf.tensor4d(dy, [...ys]));
          return g.map((t) => t.dataSync().slice());
        });
        expect(relErr(gx!, ref.conv2dBackpropInput(xs, dy, f, ws, geo))).toBeLessThan(1e-5);
        expect(relErr(gf!, ref.conv2dBackpropFilter(x, xs, dy, ws, geo))).toBeLessThan(1e-5);
      }
    });
  });

  it('cpu-fallback kernels (depthwise backprop, unsortedSegmentSum, einsum) match the cpu kernel', () => {
    noLeak(() => {
      const xs = [3, 5, 6, 2];
      const ws = [3, 3, 2, 2];
      const ys = [3, 3, 3, 4];
      const x = f32(randn(180, 1));
      const w = f32(randn(36, 2));
      const dy = f32(randn(108, 3));
      const attrs = { strides: 2, pad: 'same', dilations: 1 };
      for (const [name, inputs, a] of [
        [
          'DepthwiseConv2dNativeBackpropFilter',
          { x: { values: x, shape: xs }, dy: { values: dy, shape: ys } },
          { ...attrs, filterShape: ws },
        ],
        [
          'DepthwiseConv2dNativeBackpropInput',
          { dy: { values: dy, shape: ys }, filter: { values: w, shape: ws } },
          { ...attrs, inputShape: xs },
        ],
        [
          'UnsortedSegmentSum',
          {
            x: { values: f32(randn(12, 4)), shape: [6, 2] },
            segmentIds: { values: Int32Array.from([0, 2, 2, 1, 0, 2]), shape: [6], dtype: 'int32' as const },
          },
          { numSegments: 3 },
        ],
      ] as const) {
        const got = wasmKernel(name, inputs as never, a);
        const want = cpuKernel(name, inputs as never, a);
        expect(got.shape).toEqual(want.shape);
        expect(relErr(got.values, want.values)).toBeLessThan(1e-6);
      }
      // Einsum takes its operands as an array; the reference is the plain matrix product.
      const a = f32(randn(6, 5));
      const b = f32(randn(12, 6));
      const got = tf.tidy(() =>
        tf.einsum('ij,jk->ik', tf.tensor2d(a, [2, 3]), tf.tensor2d(b, [3, 4])).dataSync(),
      );
      const want = new Float64Array(8);
      for (let i = 0; i < 2; i++)
        for (let k = 0; k < 4; k++)
          for (let j = 0; j < 3; j++) want[i * 4 + k] = want[i * 4 + k]! + a[i * 3 + j]! * b[j * 4 + k]!;
      expect(relErr(got, want)).toBeLessThan(1e-6);
    });
  });
});

describe('registration order', () => {
  it('the Conv2DBackpropInput registered for wasm is the fill, not tfjs own kernel', async () => {
    const { conv2DBackpropInputWasmConfig } = await import('./kernels/Conv2DBackpropInput.js');
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(
      conv2DBackpropInputWasmConfig.kernelFunc,
    );
    expect(replacedKernel('Conv2DBackpropInput', 'wasm')).toBeDefined();
  });
});
