import { UnsupportedError } from '@gflow/core';

/**
 * `require` for Node-only dependencies (sonic-boom, signal-exit, crc-32), made at the call
 * without a static import, so that bundlers for browsers do not pull them (or `node:fs`) in.
 * Throws UnsupportedError outside Node.
 *
 * @internal
 */
export function nodeRequire(fn: string): (id: string) => unknown {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = p?.getBuiltinModule?.('node:module') as
    | { createRequire(from: string): (id: string) => unknown }
    | undefined;
  if (!mod) {
    throw new UnsupportedError(
      `${fn}: writing files needs Node.js ≥ 20.16 (process.getBuiltinModule), got a runtime without it; in a browser use the in-memory or callback form`,
    );
  }
  return mod.createRequire(import.meta.url);
}
