/**
 * The bad-input property suite shared by every package (issue 16, item 2).
 *
 * For every function exported by a package index (read at runtime, so a new export is covered
 * without editing the suite), fast-check calls it with generated arguments drawn from a pool of
 * bad values (NaN, ±Infinity, −1, 0, 0.5, 1e9, strings, null, {}, [], missing options, ragged,
 * empty, wrong-rank, int32, disposed and non-finite tensors) mixed with a few plausible ones so
 * that calls reach past their first check. Each call must either throw a `GflowError` with a
 * code, or return a valid result (no NaN in the numbers it returns), within 1 s, leaking no
 * tensor; no rejection may go unhandled. Classes are constructed with `new`. A hang is caught by a
 * watchdog per call (node:vm's timeout, which also stops a synchronous infinite loop), not by
 * timing the call afterwards.
 *
 * This file imports no tfjs: packages with tensors pass their tensor pool and a counter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
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
  /**
   * Exports whose documented result is NaN for NaN input (a measurement of NaN data, a JSON
   * replacer that passes values through), each with the reason; they are probed all the same, a
   * NaN in their result is not a failure.
   */
  readonly nanAllowed?: Readonly<Record<string, string>>;
  /**
   * Valid argument lists for some exports (made from the pool, after `setup`). Each is called as
   * is (it must succeed), then once for every mutation: each argument in turn, and each field of
   * an options object in turn, replaced by every bad value of the pool or left out — so that every
   * option is probed with every bad value, not only the first check reached.
   */
  readonly seeds?: Readonly<Record<string, (pool: readonly unknown[]) => unknown[]>>;
  /**
   * A longer watchdog limit (ms) for exports whose valid calls with default options do real work
   * (e.g. 100 Hessian-vector products), each with the reason given at the call site; a hang is
   * still caught, only later. Every other export gets 1 s.
   */
  readonly limits?: Readonly<Record<string, number>>;
  /** Random runs per export (default 50). */
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
  // a model's or logger's dispose(); a transform's dispose(state) frees a state, not itself; an
  // optimizer (an instrumented one disposes the optimizer it wraps, which the pool owns) is kept
  const o = x as { minimize?: unknown; applyGradients?: unknown };
  if (typeof o.minimize === 'function' && typeof o.applyGradients === 'function') return;
  if (typeof d === 'function' && d.length === 0) {
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

function tensorLabel(t: { isDisposed: boolean }): string {
  const { shape, dtype } = t as unknown as { shape: number[]; dtype: string };
  return `Tensor${JSON.stringify(shape)}:${dtype}${t.isDisposed ? ' (disposed)' : ''}`;
}

function show(args: readonly unknown[]): string {
  return `(${args
    .map((a) => {
      if (isTensorLike(a)) return tensorLabel(a);
      if (
        typeof a === 'object' &&
        a !== null &&
        typeof (a as { parameters?: unknown }).parameters === 'function'
      ) {
        return `Module(${String((a as { name?: unknown }).name)})`;
      }
      if (typeof a === 'function') return a.toString();
      try {
        return JSON.stringify(a, (_k, v) => {
          if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
          if (isTensorLike(v)) return tensorLabel(v);
          if (typeof v === 'object' && v !== null && typeof v.parameters === 'function') {
            return `Module(${String(v.name)})`;
          }
          if (typeof v === 'function') return String(v);
          return v;
        });
      } catch {
        return String(a);
      }
    })
    .join(', ')})`;
}

function isClass(f: unknown): boolean {
  return typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));
}

const watchdog = vm.createContext({}) as { call?: (() => unknown) | undefined };

/**
 * Runs `f` under a watchdog: `vm`'s timeout terminates JavaScript that is still running after
 * `ms` (a synchronous infinite loop included, which no timer in this thread could interrupt) and
 * throws ERR_SCRIPT_EXECUTION_TIMEOUT.
 */
export function runWithin<T>(f: () => T, ms: number): T {
  watchdog.call = f;
  try {
    return vm.runInContext('call()', watchdog, { timeout: ms }) as T;
  } finally {
    watchdog.call = undefined;
  }
}

function isTimeout(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
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

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Object.prototype;
}

/**
 * The argument lists one change away from `args`: the list cut short before each argument, each
 * argument replaced by each of `values`, and for an options object each field left out or
 * replaced by each of `values`.
 */
export function mutations(args: readonly unknown[], values: readonly unknown[]): unknown[][] {
  const out: unknown[][] = [];
  const at = (i: number, v: unknown): unknown[] => args.map((a, j) => (j === i ? v : a));
  args.forEach((a, i) => {
    out.push(args.slice(0, i));
    for (const v of values) out.push(at(i, v));
    if (isPlainObject(a)) {
      for (const k of Object.keys(a)) {
        const rest = { ...a };
        delete rest[k];
        out.push(at(i, rest));
        for (const v of values) out.push(at(i, { ...a, [k]: v }));
      }
    }
  });
  return out;
}

/** What {@link probe} needs besides the function and its arguments. */
export interface ProbeEnv {
  /** Live tensor count; absent for packages without tensors. */
  readonly numTensors?: () => number;
  /** Runs after the call, before the tensor count is read. */
  readonly afterCall?: () => void;
  /** Values the call must not free or inspect (the shared argument pool). */
  readonly pool?: ReadonlySet<unknown>;
  /** NaN in the result is documented for this export: not a failure. */
  readonly nanAllowed?: boolean;
  /** The watchdog limit per call, in ms (default 1000). */
  readonly limitMs?: number;
}

/**
 * Calls `f(...args)` (with `new` for a class) under the watchdog and judges the outcome: returns
 * `undefined` when it threw a `GflowError` with a code or returned a result with no NaN, in time,
 * with the live tensor count unchanged; otherwise a message saying what went wrong.
 */
export async function probe(
  name: string,
  f: unknown,
  args: readonly unknown[],
  env: ProbeEnv = {},
): Promise<string | undefined> {
  const limit = env.limitMs ?? CALL_LIMIT_MS;
  const pool = env.pool ?? new Set();
  const before = env.numTensors?.() ?? 0;
  let result: unknown;
  let error: unknown;
  try {
    result = runWithin(
      () =>
        isClass(f)
          ? new (f as new (...a: unknown[]) => unknown)(...args)
          : (f as (...a: unknown[]) => unknown)(...args),
      limit,
    );
    if (result instanceof Promise) {
      result = await withTimeout(result, limit);
      if (result === 'timeout') return `${name}${show(args)} did not settle within ${limit} ms`;
    }
  } catch (e) {
    error = e;
  }
  if (isTimeout(error)) return `${name}${show(args)} hung: still running after ${limit} ms`;
  const nan = error === undefined && !env.nanAllowed ? findNaN(result, pool) : undefined;
  release(result, new Set(), pool);
  env.afterCall?.();
  const after = env.numTensors?.() ?? 0;
  if (error !== undefined && !(error instanceof GflowError && typeof error.code === 'string')) {
    return `${name}${show(args)} threw a non-GflowError: ${String((error as Error)?.stack ?? error)}`;
  }
  if (nan) return `${name}${show(args)} returned NaN silently at ${nan}`;
  if (after !== before) {
    return `${name}${show(args)} changed the live tensor count from ${before} to ${after}`;
  }
  return undefined;
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

  const probeEnv = (name: string): ProbeEnv => ({
    ...(env.numTensors ? { numTensors: env.numTensors } : {}),
    ...(env.afterCall ? { afterCall: env.afterCall } : {}),
    pool,
    nanAllowed: env.nanAllowed !== undefined && name in env.nanAllowed,
    limitMs: env.limits?.[name] ?? CALL_LIMIT_MS,
  });

  describe(`${pkg}: every export refuses bad arguments with a GflowError`, () => {
    // a string argument can be a path (a logger's directory): calls run in a scratch directory
    const home = process.cwd();
    let scratch = '';
    beforeAll(async () => {
      scratch = mkdtempSync(join(tmpdir(), 'gflow-bad-inputs-'));
      process.chdir(scratch);
      extra = (await env.setup?.()) ?? [];
      pool = new Set(extra);
      process.on('unhandledRejection', onUnhandled);
    });
    afterAll(() => {
      process.off('unhandledRejection', onUnhandled);
      env.teardown?.();
      process.chdir(home);
      rmSync(scratch, { recursive: true, force: true });
    });

    it('finds the exports to probe', () => {
      // every allow-listed name must still be an export, so the list cannot go stale
      const named = [env.allow, env.nanAllowed, env.limits, env.seeds].flatMap((r) => Object.keys(r ?? {}));
      for (const name of named) {
        expect(Object.keys(env.exports)).toContain(name);
      }
      expect(fns.length).toBeGreaterThan(0);
    });

    for (const [name, f] of fns) {
      if (env.allow && name in env.allow) continue;
      it(`${name}`, async () => {
        const call = async (args: unknown[]): Promise<void> => {
          const failure = await probe(name, f, args, probeEnv(name));
          if (failure !== undefined) throw new Error(failure);
        };
        await fc.assert(
          fc.asyncProperty(fc.array(valueArb(extra), { maxLength: 4 }), async (args) => {
            await call(args);
          }),
          { numRuns: env.numRuns ?? 50, seed: 16, endOnFailure: true },
        );
        // the calls with no argument and with one NaN are always made
        await call([]);
        await call([Number.NaN]);
        await new Promise((r) => setTimeout(r, 0));
        expect(unhandled).toEqual([]);
      });
      const seed = env.seeds?.[name];
      if (seed === undefined) continue;
      it(`${name}: every argument and option, one at a time`, async () => {
        const args = seed(extra);
        // the seed itself is valid: its call returns, so each mutation tests one change
        const ok = await probe(name, f, args, probeEnv(name));
        expect(ok).toBeUndefined();
        let valid: unknown;
        try {
          valid = runWithin(
            () =>
              isClass(f)
                ? new (f as new (...a: unknown[]) => unknown)(...args)
                : (f as (...a: unknown[]) => unknown)(...args),
            env.limits?.[name] ?? CALL_LIMIT_MS,
          );
          // an asynchronous function's seed call settles before the mutations are counted
          if (valid instanceof Promise) valid = await valid;
        } catch (e) {
          throw new Error(`the seed of ${name} is not valid: ${String(e)}`);
        }
        release(valid, new Set(), pool);
        env.afterCall?.();
        const values = [...SCALARS, ...extra];
        for (const m of mutations(args, values)) {
          const failure = await probe(name, f, m, probeEnv(name));
          if (failure !== undefined) throw new Error(failure);
        }
        await new Promise((r) => setTimeout(r, 0));
        expect(unhandled).toEqual([]);
      });
    }
  });
}
