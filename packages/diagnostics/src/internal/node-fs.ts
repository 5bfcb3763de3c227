import { UnsupportedError } from '@gflow/core';

/** The parts of `node:fs` gflow uses. */
export interface NodeFs {
  writeFileSync(path: string, data: Uint8Array | string): void;
  appendFileSync(path: string, data: Uint8Array | string): void;
  readFileSync(path: string): Uint8Array;
  renameSync(from: string, to: string): void;
  mkdirSync(path: string, options: { recursive: boolean }): unknown;
  existsSync(path: string): boolean;
  unlinkSync(path: string): void;
}

/**
 * `node:fs`, loaded synchronously without a static import (so that bundlers for browsers do not
 * pull it in). Throws UnsupportedError outside Node.
 */
export function nodeFs(fn: string): NodeFs {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = p?.getBuiltinModule?.('node:fs') as NodeFs | undefined;
  if (!fs) {
    throw new UnsupportedError(
      `${fn}: writing files needs Node.js ≥ 20.16 (process.getBuiltinModule), got a runtime without it; in a browser use the in-memory or callback form`,
    );
  }
  return fs;
}
