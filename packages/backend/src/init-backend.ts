import { BackendUnavailableError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { gradientFills } from './register-gradients.js';

/** The engines gflow knows, fastest first. */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** One engine that {@link initBackend} tried, and why it did or did not start. */
export interface TriedBackend {
  /** The engine. */
  readonly name: BackendName;
  /** Whether it started. */
  readonly ok: boolean;
  /** Why it did not start, or a note on how it started. */
  readonly reason: string;
}

/** What {@link initBackend} chose and why. */
export interface BackendInfo {
  /** The engine in use. */
  readonly name: BackendName;
  /** Whether it runs on a GPU or a native library rather than JavaScript or wasm. */
  readonly accelerated: boolean;
  /** Whether wasm SIMD is in use (wasm only). */
  readonly simd: boolean;
  /** The number of threads the engine computes with. */
  readonly threads: number;
  /** The device, where the engine names one. */
  readonly device?: string;
  /** The kernel and gradient fills gflow registered for this engine. */
  readonly fills: readonly string[];
  /** Every engine tried, in order. */
  readonly tried: readonly TriedBackend[];
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** An engine, an ordered list of engines, or `'auto'` (the default). */
  readonly prefer?: BackendName | 'auto' | readonly BackendName[];
}

let current: BackendInfo | undefined;

/**
 * Chooses and starts a TensorFlow.js engine.
 *
 * @param options - Which engines to try.
 * @returns What was chosen and why.
 * @throws BackendUnavailableError (from `@gflow/core`) when an engine asked for by name cannot start.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const prefer = options.prefer ?? 'auto';
  const order: readonly BackendName[] =
    prefer === 'auto' ? ['wasm', 'cpu'] : typeof prefer === 'string' ? [prefer] : prefer;
  const tried: TriedBackend[] = [];
  for (const name of order) {
    if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    const ok = name === 'wasm' || name === 'cpu' ? await tf.setBackend(name) : false;
    tried.push({ name, ok, reason: ok ? 'started' : 'not available in this minimal version' });
    if (ok) {
      const fills = [...gradientFills];
      if (name === 'wasm' || name === 'cpu') {
        fills.push(...(await import('./register-kernel-fills.js')).kernelFillsFor(name));
      }
      current = {
        name,
        accelerated: false,
        simd: name === 'wasm' && tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
        threads: 1,
        fills,
        tried,
      };
      return current;
    }
  }
  throw new BackendUnavailableError(
    `initBackend: options.prefer: none of ${JSON.stringify(order)} could start`,
  );
}

/** The engine chosen by the last {@link initBackend}, or `undefined` before the first call. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}
