// The page's entry: bundled by esbuild for platform 'browser' (so every @gflow package comes in
// through its `browser` export condition) and driven by test/engines.test.ts through playwright.
import '@tensorflow/tfjs-backend-webgpu';
import { type BackendName, initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// The same source file the bundled @gflow/backend uses (the bundle resolves it from src/), so the
// same counter.
import { winogradRuns } from '../../../packages/backend/src/internal/winograd.js';
import {
  type FlowResult,
  flowCases,
  flowCheck,
  flowCheckAsync,
  flowCheckLibAsync,
  type HvpResult,
  hvpCases,
  hvpCheck,
  hvpCheckAsync,
  type OrthoResult,
  orthoCases,
  orthoCheckAsync,
} from './checks.js';

/** What one run on one engine reports back to the test. */
export interface PageResult {
  readonly engine: string;
  readonly tried: readonly { readonly name: string; readonly ok: boolean; readonly reason: string }[];
  readonly fills: readonly string[];
  readonly device: string | null;
  /** Through gflow's synchronous APIs (`hessianVectorProduct`, `measureGradientFlow`); empty where not run. */
  readonly hvp: readonly HvpResult[];
  readonly flow: readonly FlowResult[];
  /** The same quantities with tfjs ops and asynchronous reads only. */
  readonly hvpAsync: readonly HvpResult[];
  readonly flowAsync: readonly FlowResult[];
  /** Through gflow's `measureGradientFlowAsync`, on every engine. */
  readonly flowLibAsync: readonly FlowResult[];
  /** The orthogonal RNNs' outputs, parameters on the engine, prefetched, read asynchronously. */
  readonly ortho: readonly OrthoResult[];
  /**
   * wasm only (null elsewhere): whether a 3×3 convolution of 8 channels ran by gflow's Winograd
   * kernel (in the full SIMD module, 16 KB) on the page's main thread, and its largest
   * difference from float64 sums relative to the largest |output|.
   */
  readonly winograd: { readonly ran: boolean; readonly relErr: number } | null;
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
  readonly errors: readonly string[];
}

/** A 'same' 3×3 convolution on the engine against float64 sums (see {@link PageResult.winograd}). */
async function winogradCheck(): Promise<{ ran: boolean; relErr: number }> {
  const [N, H, W, C, K] = [2, 6, 7, 8, 8];
  const xv = Float32Array.from({ length: N * H * W * C }, (_, i) => (((i * 7) % 13) - 6) / 6);
  const wv = Float32Array.from({ length: 9 * C * K }, (_, i) => (((i * 5) % 11) - 5) / 5);
  const before = winogradRuns().conv;
  const x = tf.tensor4d(xv, [N, H, W, C]);
  const w = tf.tensor4d(wv, [3, 3, C, K]);
  const y = tf.conv2d(x, w, 1, 'same');
  const got = await y.data();
  tf.dispose([x, w, y]);
  const ran = winogradRuns().conv > before;
  let worst = 0;
  let scale = 0;
  for (let n = 0; n < N; n++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++)
        for (let k = 0; k < K; k++) {
          let sum = 0;
          for (let a = 0; a < 3; a++)
            for (let b = 0; b < 3; b++) {
              const r = i + a - 1;
              const c = j + b - 1;
              if (r < 0 || r >= H || c < 0 || c >= W) continue;
              for (let ci = 0; ci < C; ci++)
                sum += xv[((n * H + r) * W + c) * C + ci]! * wv[((a * 3 + b) * C + ci) * K + k]!;
            }
          worst = Math.max(worst, Math.abs(got[((n * H + i) * W + j) * K + k]! - sum));
          scale = Math.max(scale, Math.abs(sum));
        }
  return { ran, relErr: worst / scale };
}

/**
 * Runs every check on `engine`. `syncReads: false` leaves out gflow's synchronous APIs: tfjs's
 * webgpu `readSync` copies through a canvas, which in headless Chromium loses SwiftShader's device.
 */
async function run(engine: BackendName, syncReads: boolean): Promise<PageResult> {
  setWasmPaths('/wasm/');
  const info = await initBackend({ prefer: engine });
  const errors: string[] = [];
  const note = (name: string, e: unknown) => errors.push(`${name}: ${String((e as Error)?.stack ?? e)}`);
  const tensorsBefore = tf.memory().numTensors;
  const hvp: HvpResult[] = [];
  const flow: FlowResult[] = [];
  const hvpAsync: HvpResult[] = [];
  const flowAsync: FlowResult[] = [];
  const flowLibAsync: FlowResult[] = [];
  const ortho: OrthoResult[] = [];
  for (const name of hvpCases) {
    await hvpCheckAsync(name).then(
      (r) => hvpAsync.push(r),
      (e) => note(`${name} (async)`, e),
    );
    if (syncReads) {
      try {
        hvp.push(hvpCheck(name));
      } catch (e) {
        note(name, e);
      }
    }
  }
  for (const name of flowCases) {
    await flowCheckAsync(name).then(
      (r) => flowAsync.push(r),
      (e) => note(`${name} (async)`, e),
    );
    await flowCheckLibAsync(name).then(
      (r) => flowLibAsync.push(r),
      (e) => note(`${name} (measureGradientFlowAsync)`, e),
    );
    if (syncReads) {
      try {
        flow.push(flowCheck(name));
      } catch (e) {
        note(name, e);
      }
    }
  }
  let winograd: PageResult['winograd'] = null;
  if (info.name === 'wasm') {
    winograd = await winogradCheck().catch((e) => {
      note('winograd', e);
      return null;
    });
  }
  // Last: on webgpu, a synchronous GPU read here (without prefetchParameters) loses the device.
  for (const name of orthoCases) {
    await orthoCheckAsync(name).then(
      (r) => ortho.push(r),
      (e) => note(`orthogonal RNN (${name})`, e),
    );
  }
  return {
    engine: info.name,
    tried: info.tried.map((t) => ({ name: t.name, ok: t.ok, reason: t.reason })),
    fills: info.fills,
    device: info.device ?? null,
    hvp,
    flow,
    hvpAsync,
    flowAsync,
    flowLibAsync,
    ortho,
    winograd,
    tensorsBefore,
    tensorsAfter: tf.memory().numTensors,
    errors,
  };
}

/** `initBackend()` with the default `'auto'` order, as a page that names no engine calls it. */
async function auto(): Promise<PageResult['tried']> {
  setWasmPaths('/wasm/');
  const info = await initBackend();
  return info.tried.map((t) => ({ name: t.name, ok: t.ok, reason: t.reason }));
}

(globalThis as { gflowRun?: typeof run }).gflowRun = run;
(globalThis as { gflowAuto?: typeof auto }).gflowAuto = auto;
