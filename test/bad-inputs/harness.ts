/**
 * The bad-input property suite shared by every package (issue 16, item 2).
 *
 * For every function exported by a package index (read at runtime, so a new export is covered
 * without editing the suite), fast-check calls it with generated arguments drawn from a pool of
 * bad values (NaN, ±Infinity, −1, 0, 0.5, 1e9, strings, null, {}, [], missing options, ragged,
 * empty, wrong-rank, int32, disposed and non-finite tensors) mixed with a few plausible ones so
 * that calls reach past their first check. Each call must either throw a `GflowError` with a
 * code, or return a valid result (no NaN in the numbers it returns), within 1 s, leaking no
 * tensor; no rejection may go unhandled. Classes are constructed with `new`.
 *
 * This file imports no tfjs: packages with tensors pass their tensor pool and a counter.
 */
import { GflowError } from '@gflow/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** What a package's suite provides. */
export interface BadInputEnv {
  /** The package index, e.g. `await import('@gflow/core')`. */
  readonly exports: Record<string, unknown>;
  /** Exports not probed, each with the reason (keep this short and commented at the call site). */
  readonly allow?: Readonly<Record<string, string>>;
  /** Extra values to draw arguments from (tensors, callbacks, models). Made once, in `setup`. */
  readonly setup?: () => Promise<readonly unknown[]> | readonly unknown[];
  /** Frees what `setup` made. */
  readonly teardown?: () => void;
  /** Live tensor count (tf.memory().numTensors); absent for packages without tensors. */
  readonly numTensors?: () => number;
  /** Runs after every call, e.g. to restore global settings a call may have changed. */
  readonly afterCall?: () => void;
  /** Runs per export (default 25). */
  readonly numRuns?: number;
}

/** The most time one call may take: a hang detector (issue 16 asks for every call within 1 s). */
const CALL_LIMIT_MS = 1000;

/** Option names used across the packages, so that generated options objects hit real fields. */
const OPTION_KEYS = [
  'depth',
  'width',
  'inputSize',
  'outputSize',
  'hiddenSize',
  'size',
  'kernelSize',
  'channels',
  'inputShape',
  'steps',
  'maxIter',
  'tol',
  'seed',
  'activation',
  'init',
  'gain',
  'samples',
  'probes',
  'points',
  'resolution',
  'batchSize',
  'length',
  'seqLength',
  'numLayers',
  'heads',
  'rate',
  'learningRate',
  'threshold',
  'maxNorm',
  'deflate',
  'range',
  'axis',
] as const;

const SCALARS: readonly unknown[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -1,
  0,
  0.5,
  1e9,
  1,
  2,
  3,
  'x',
  '',
  null,
  undefined,
  true,
  {},
  [],
  [1, 2],
  [[1, 2], [3]],
  [
    [1, 2],
    [3, 4],
  ],
  [Number.NaN, 1],
  new Float64Array([1, 2]),
  new Float64Array(0),
  (v: unknown) => v,
  () => Number.NaN,
];

function valueArb(extra: readonly unknown[]): fc.Arbitrary<unknown> {
  const pool = [...SCALARS, ...extra];
  const scalar = fc.constantFrom(...pool);
  const options = fc.dictionary(fc.constantFrom(...OPTION_KEYS), scalar, { maxKeys: 4 });
  return fc.oneof({ weight: 3, arbitrary: scalar }, { weight: 1, arbitrary: options });
}

function isTensorLike(x: unknown): x is { dispose(): void; isDisposed: boolean } {
  return (
    typeof x === 'object' &&
    x !== null &&
    'isDisposed' in x &&
    typeof (x as { dispose?: unknown }).dispose === 'function'
  );
}

/** Frees what a call returned: tensors, models (`dispose()`), and those inside arrays or records. */
function release(x: unknown, seen: Set<unknown>, pool: ReadonlySet<unknown>, depth = 0): void {
  if (x === null || typeof x !== 'object' || seen.has(x) || pool.has(x) || depth > 4) return;
  seen.add(x);
  if (isTensorLike(x)) {
    if (!x.isDisposed) x.dispose();
    return;
  }
  const d = (x as { dispose?: unknown }).dispose;
  if (typeof d === 'function') {
    (d as () => void).call(x);
    return;
  }
  if (ArrayBuffer.isView(x)) return;
  const values = Array.isArray(x) ? x : x instanceof Map ? [...x.values()] : Object.values(x);
  for (const v of values) release(v, seen, pool, depth + 1);
}

/** The path to a NaN among the plain numbers of a result (not inside tensors), if any. */
function findNaN(x: unknown, pool: ReadonlySet<unknown>, path = 'result', depth = 0): string | undefined {
  if (typeof x === 'number') return Number.isNaN(x) ? path : undefined;
  if (x === null || typeof x !== 'object' || depth > 3 || pool.has(x) || isTensorLike(x)) return undefined;
  if (x instanceof Float64Array || x instanceof Float32Array) {
    const i = x.findIndex((v) => Number.isNaN(v));
    return i >= 0 ? `${path}[${i}]` : undefined;
  }
  if (ArrayBuffer.isView(x)) return undefined;
  const entries = Array.isArray(x) ? x.entries() : Object.entries(x);
  for (const [k, v] of entries) {
    const p = findNaN(v, pool, `${path}.${String(k)}`, depth + 1);
    if (p) return p;
  }
  return undefined;
}

function show(args: readonly unknown[]): string {
  return `(${args
    .map((a) => {
      if (isTensorLike(a)) return `Tensor${JSON.stringify((a as unknown as { shape: number[] }).shape)}`;
      if (typeof a === 'function') return a.toString();
      try {
        return JSON.stringify(a, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
      } catch {
        return String(a);
      }
    })
    .join(', ')})`;
}

function isClass(f: unknown): boolean {
  return typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Registers one test per exported function of `env.exports`, each a fast-check property over
 * generated argument lists.
 */
export function badInputSuite(pkg: string, env: BadInputEnv): void {
  const fns = Object.entries(env.exports)
    .filter(([, v]) => typeof v === 'function')
    .sort(([a], [b]) => a.localeCompare(b));
  let extra: readonly unknown[] = [];
  let pool: ReadonlySet<unknown> = new Set();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  describe(`${pkg}: every export refuses bad arguments with a GflowError`, () => {
    beforeAll(async () => {
      extra = (await env.setup?.()) ?? [];
      pool = new Set(extra);
      process.on('unhandledRejection', onUnhandled);
    });
    afterAll(() => {
      process.off('unhandledRejection', onUnhandled);
      env.teardown?.();
    });

    it('finds the exports to probe', () => {
      // every allow-listed name must still be an export, so the list cannot go stale
      for (const name of Object.keys(env.allow ?? {})) expect(Object.keys(env.exports)).toContain(name);
      expect(fns.length).toBeGreaterThan(0);
    });

    for (const [name, f] of fns) {
      if (env.allow && name in env.allow) continue;
      it(`${name}`, async () => {
        const call = async (args: unknown[]): Promise<void> => {
          const before = env.numTensors?.() ?? 0;
          const t0 = performance.now();
          let result: unknown;
          let error: unknown;
          try {
            result = isClass(f)
              ? new (f as new (...a: unknown[]) => unknown)(...args)
              : (f as (...a: unknown[]) => unknown)(...args);
            if (result instanceof Promise) {
              result = await withTimeout(result, CALL_LIMIT_MS);
              if (result === 'timeout') throw new Error(`${name}${show(args)} did not settle within 1 s`);
            }
          } catch (e) {
            error = e;
          }
          const ms = performance.now() - t0;
          const nan = error === undefined ? findNaN(result, pool) : undefined;
          release(result, new Set(), pool);
          env.afterCall?.();
          const after = env.numTensors?.() ?? 0;
          if (error !== undefined && !(error instanceof GflowError && typeof error.code === 'string')) {
            throw new Error(
              `${name}${show(args)} threw a non-GflowError: ${String((error as Error)?.stack ?? error)}`,
            );
          }
          if (nan) throw new Error(`${name}${show(args)} returned NaN silently at ${nan}`);
          if (ms > CALL_LIMIT_MS)
            throw new Error(`${name}${show(args)} took ${ms.toFixed(0)} ms (limit 1 s)`);
          if (after !== before) {
            throw new Error(`${name}${show(args)} changed the live tensor count from ${before} to ${after}`);
          }
        };
        await fc.assert(
          fc.asyncProperty(fc.array(valueArb(extra), { maxLength: 4 }), async (args) => {
            await call(args);
          }),
          { numRuns: env.numRuns ?? 25, seed: 16, endOnFailure: true },
        );
        // the calls with no argument and with one NaN are always made
        await call([]);
        await call([Number.NaN]);
        await new Promise((r) => setTimeout(r, 0));
        expect(unhandled).toEqual([]);
      });
    }
  });
}
