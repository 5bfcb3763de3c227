// The page's entry: bundled by esbuild for platform 'browser' (so every @gflow package comes in
// through its `browser` export condition) and driven by test/engines.test.ts through playwright.
import '@tensorflow/tfjs-backend-webgpu';
import { type BackendName, initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
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
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
  readonly errors: readonly string[];
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
