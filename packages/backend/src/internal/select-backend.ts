import { BackendUnavailableError, describeValue, InvalidArgumentError } from '@gflow/core';
import { backendInitialized } from '@gflow/core/internal/tfjs';
import * as tf from '@tensorflow/tfjs';
import { gradientFills } from '../register-gradients.js';
import { type EngineLoaders, type EngineName, type Importer, threadsOf } from './engine-loaders.js';
import { ALL_ENGINES, currentHost } from './host.js';
import { maxWasmThreads, type WasmThreadsSetup } from './wasm-threads-types.js';

/** One engine tried. */
export interface Tried {
  readonly name: EngineName;
  readonly ok: boolean;
  readonly reason: string;
}

/** What was chosen. */
export interface Chosen {
  readonly name: EngineName;
  readonly accelerated: boolean;
  readonly simd: boolean;
  readonly threads: number;
  readonly device?: string;
  readonly fills: readonly string[];
  readonly tried: readonly Tried[];
}

/** Resolves and validates `prefer`. */
export function resolveOrder(prefer: unknown): { order: readonly EngineName[]; auto: boolean } {
  if (prefer === undefined || prefer === 'auto') return { order: currentHost().autoOrder, auto: true };
  const names = typeof prefer === 'string' ? [prefer] : Array.isArray(prefer) ? prefer : undefined;
  if (
    names === undefined ||
    names.length === 0 ||
    !names.every((n) => ALL_ENGINES.includes(n as EngineName))
  ) {
    throw new InvalidArgumentError(
      `initBackend: options.prefer must be 'auto', one of ${ALL_ENGINES.map((n) => `'${n}'`).join(', ')} or a non-empty list of them, got ${describeValue(prefer)}`,
    );
  }
  return { order: names as EngineName[], auto: false };
}

/** Resolves and validates `threads` (wasm pool size): 1 by default, `'auto'` = min(cores, 8). */
export function resolveThreads(threads: unknown): number {
  if (threads === undefined) return 1;
  if (threads === 'auto') return Math.max(1, Math.min(currentHost().cores(), maxWasmThreads));
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > maxWasmThreads) {
    throw new InvalidArgumentError(
      `initBackend: options.threads must be 'auto' or an integer in [1, ${maxWasmThreads}], got ${describeValue(threads)}`,
    );
  }
  return threads;
}

/** Whether tfjs has already started (initialized) the wasm backend in this process. */
function wasmStarted(): boolean {
  return backendInitialized('wasm');
}

/**
 * Starts `tfName` with tf.setBackend; for wasm under Node with `threads` > 1 (and wasm not yet
 * started), the threaded SIMD build first, falling back to the single-threaded build if that fails.
 * Returns whether it started, why not, and a note on threads for `tried`.
 */
async function start(
  tfName: string,
  threads: number,
): Promise<{ ok: boolean; failure: string; note: string }> {
  let failure = '';
  if (tfName === 'wasm' && threads > 1) {
    if (wasmStarted()) {
      const ok = await tf.setBackend('wasm');
      const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as { getThreadsCount(): number };
      const same = ok && wasm.getThreadsCount() === threads;
      return {
        ok,
        failure: '',
        note: same
          ? ''
          : `; threads: ${threads} asked, but the wasm engine had already been started in this process (its pool size is fixed at its first start)`,
      };
    }
    const enableWasmThreads = currentHost().enableWasmThreads;
    if (enableWasmThreads !== undefined) {
      let setup: WasmThreadsSetup | undefined;
      try {
        setup = await enableWasmThreads(threads);
        if (await tf.setBackend('wasm')) return { ok: true, failure: '', note: `; ${threads} threads asked` };
        failure = 'the threaded build did not start';
      } catch (err) {
        failure = String((err as Error)?.message ?? err);
      } finally {
        setup?.restore();
      }
      // Fall back to the single-threaded build.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as { setThreadsCount(n: number): void };
      wasm.setThreadsCount(1);
      failure = `threaded start failed (${failure}), single-threaded build used`;
    }
  }
  if (tfName === 'wasm' && threads > 1 && currentHost().enableWasmThreads === undefined && !wasmStarted()) {
    // A browser uses tfjs-wasm's threaded build by itself when the page is cross-origin isolated.
    const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as { setThreadsCount(n: number): void };
    wasm.setThreadsCount(threads);
  }
  let ok = false;
  try {
    ok = await tf.setBackend(tfName);
  } catch (err) {
    failure = `${failure ? `${failure}; ` : ''}${String((err as Error)?.message ?? err)}`;
  }
  return { ok, failure, note: ok && failure ? `; ${failure}` : '' };
}

/** Engines whose loader succeeds (none is switched to). */
export async function probeAvailable(loaders: EngineLoaders): Promise<EngineName[]> {
  const out: EngineName[] = [];
  for (const name of currentHost().autoOrder) {
    try {
      if ((await loaders[name]()).ok) out.push(name);
    } catch {
      // a loader that throws is unavailable
    }
  }
  return out;
}

/** The cpu backend prints "Hi, looks like you are running TensorFlow.js in Node.js…" on first use. */
function silenceNodeHint(): void {
  if (tf.findBackendFactory('cpu') === null) return;
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu !== null && typeof cpu.firstUse === 'boolean') cpu.firstUse = false;
}

/**
 * Tries the engines of `prefer` in order with the given loaders and switches tfjs to the first
 * that starts. The engine of `initBackend`, with loaders injectable for tests.
 */
export async function selectBackend(
  prefer: unknown,
  loaders: EngineLoaders,
  importer: Importer = currentHost().importer,
  threadsOption: unknown = undefined,
): Promise<Chosen> {
  const { order, auto } = resolveOrder(prefer);
  const threads = resolveThreads(threadsOption);
  // 'auto' never fails while cpu exists.
  const attempt: readonly EngineName[] = auto && !order.includes('cpu') ? [...order, 'cpu'] : order;
  const tried: Tried[] = [];
  const fixes: string[] = [];
  silenceNodeHint();
  for (const name of attempt) {
    let outcome: Awaited<ReturnType<EngineLoaders[EngineName]>>;
    try {
      outcome = await loaders[name]();
    } catch (err) {
      outcome = {
        ok: false,
        reason: `its loader threw: ${String((err as Error)?.message ?? err)}`,
        fix: 'report this to gflow',
      };
    }
    if (!outcome.ok) {
      tried.push({ name, ok: false, reason: `${outcome.reason}; to enable: ${outcome.fix}` });
      fixes.push(`${name}: ${outcome.reason}. To enable it, ${outcome.fix}.`);
      continue;
    }
    const { ok: started, failure, note } = await start(outcome.tfName, threads);
    if (!started) {
      const reason = `its tfjs backend '${outcome.tfName}' failed to initialize${failure ? `: ${failure}` : ''}${
        outcome.failureFix !== undefined ? `; to enable: ${outcome.failureFix}` : ''
      }`;
      tried.push({ name, ok: false, reason });
      fixes.push(`${name}: ${reason}.`);
      continue;
    }
    const device = outcome.device ?? outcome.deviceAfterStart?.();
    tried.push({
      name,
      ok: true,
      reason: `started: ${outcome.note}${device !== undefined && outcome.device === undefined ? ` (${device})` : ''}${note}`,
    });
    const fills = [...gradientFills];
    if (outcome.tfName === 'wasm' || outcome.tfName === 'cpu') {
      fills.push(...(await import('../register-kernel-fills.js')).kernelFillsFor(outcome.tfName));
    }
    if (outcome.tfName === 'wasm') {
      const read = (await import('./wasm-read-sync.js')).fillWasmReadSync(tf.backend());
      if (read !== undefined) fills.push(read);
    }
    if (outcome.tfName === 'webgpu')
      fills.push(...(await import('../kernels/AddN.js')).registerWebgpuFills());
    const simd =
      outcome.tfName === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : false;
    silenceNodeHint();
    return {
      name,
      accelerated: outcome.accelerated,
      simd,
      threads: await threadsOf(outcome.tfName, importer),
      ...(device !== undefined ? { device } : {}),
      fills,
      tried,
    };
  }
  const available = await probeAvailable(loaders);
  throw new BackendUnavailableError(
    `initBackend: options.prefer ${JSON.stringify(prefer)} could not start. ${fixes.join(' ')} Available here: ${
      available.length > 0 ? available.join(', ') : 'none'
    } (pass one of them, or 'auto').`,
  );
}
