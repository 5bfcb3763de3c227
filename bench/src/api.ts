/**
 * Access to gflow's public API by name, so that a workload whose API has not landed yet is
 * reported as missing instead of failing the build. Only what a package's `index.ts` exports is
 * reachable here: no private paths.
 */
import * as backend from '@gflow/backend';
import * as core from '@gflow/core';
import * as diagnostics from '@gflow/diagnostics';
import * as landscape from '@gflow/landscape';
import * as models from '@gflow/models';

const packages: Record<string, Record<string, unknown>> = {
  '@gflow/backend': backend as Record<string, unknown>,
  '@gflow/core': core as Record<string, unknown>,
  '@gflow/diagnostics': diagnostics as Record<string, unknown>,
  '@gflow/landscape': landscape as Record<string, unknown>,
  '@gflow/models': models as Record<string, unknown>,
};

/** Thrown when a workload needs an export its package does not (yet) have. */
export class MissingApiError extends Error {
  constructor(readonly missing: readonly string[]) {
    super(`not exported yet: ${missing.join(', ')}`);
  }
}

/** The exports named `pkg:name` that do not exist. */
export function missingExports(names: readonly string[]): string[] {
  return names.filter((full) => {
    const [pkg, name] = full.split(':') as [string, string];
    return typeof packages[pkg]?.[name] !== 'function';
  });
}

/** The exported function `name` of `pkg`, typed as the caller declares (the contract's signature). */
export function api<T>(pkg: keyof typeof packages & string, name: string): T {
  const v = packages[pkg]?.[name];
  if (typeof v !== 'function') throw new MissingApiError([`${pkg}:${name}`]);
  return v as T;
}
