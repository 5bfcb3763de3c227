/**
 * The sweep's results file: an exclusive lock so that two sweeps never write (and measure) the
 * same file at once, and the repair of a last line cut short by a kill.
 *
 * The lock is proper-lockfile's: an atomic `mkdir` of `FILE.lock` whose modification time the
 * holder refreshes every `staleMs / 2`; a lock not refreshed for `staleMs` (its holder was
 * killed with SIGKILL, or the machine went down) is stale and taken over. It works across
 * processes and across machines sharing a network file system, where `flock` does not.
 */
import { closeSync, openSync, readFileSync, realpathSync, truncateSync, writeFileSync } from 'node:fs';
import { GflowIOError } from '@gflow/core';
import lockfile from 'proper-lockfile';

/** How long a lock may go unrefreshed before another sweep takes it over (proper-lockfile's default). */
export const LOCK_STALE_MS = 10_000;

/** Options of {@link lockResultsFile}. */
export interface LockResultsOptions {
  /** Called if the lock is lost while held (removed by someone, or not refreshed in time). */
  readonly onCompromised: (err: Error) => void;
  /** Milliseconds without a refresh after which a lock counts as abandoned (default {@link LOCK_STALE_MS}). */
  readonly staleMs?: number;
}

/**
 * Takes the exclusive lock on a results file (creating the file, empty, if missing), or refuses
 * at once if another sweep holds it.
 *
 * @param file - The results file.
 * @param o - What to do if the lock is lost; the stale time.
 * @returns A function that releases the lock (also released when the process exits).
 * @throws GflowIOError when another live sweep holds the lock, or the lock cannot be made.
 */
export async function lockResultsFile(file: string, o: LockResultsOptions): Promise<() => Promise<void>> {
  closeSync(openSync(file, 'a'));
  const real = realpathSync(file);
  const staleMs = o.staleMs ?? LOCK_STALE_MS;
  try {
    return await lockfile.lock(real, {
      stale: staleMs,
      retries: 0,
      realpath: false,
      onCompromised: o.onCompromised,
    });
  } catch (e) {
    if ((e as { code?: unknown })?.code === 'ELOCKED') {
      throw new GflowIOError(
        `sweep: ${file} is in use by another gflow sweep (it holds the lock ${real}.lock), so this one stops without measuring anything; wait for that sweep to end and run this command again (finished cells are skipped), or give this sweep another --out. If no sweep is running, the lock was left by a killed sweep and is taken over ${staleMs / 1000} s after that sweep died.`,
        { cause: e },
      );
    }
    throw new GflowIOError(`sweep: cannot lock ${file}: ${(e as Error)?.message ?? String(e)}`, {
      cause: e,
    });
  }
}

/** What {@link repairLastLine} did. */
export type LastLineRepair =
  | { readonly kind: 'none' }
  | { readonly kind: 'newline-added' }
  | { readonly kind: 'truncated'; readonly removedBytes: number };

/**
 * Makes a JSON-lines file end in a whole line again. A kill during an append can leave the last
 * line cut short: if that line is not a JSON value it is truncated away (the file keeps every
 * complete line, byte for byte); if it is whole but lacks its newline, the newline is added.
 * Call it only while holding the file's lock.
 *
 * @param file - The JSON-lines file (must exist).
 * @returns What was changed.
 */
export function repairLastLine(file: string): LastLineRepair {
  const bytes = readFileSync(file);
  if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return { kind: 'none' };
  const start = bytes.lastIndexOf(0x0a) + 1;
  const tail = bytes.subarray(start).toString('utf8');
  let whole = false;
  try {
    const v: unknown = JSON.parse(tail);
    whole = typeof v === 'object' && v !== null;
  } catch {
    whole = false;
  }
  if (whole) {
    writeFileSync(file, '\n', { flag: 'a' });
    return { kind: 'newline-added' };
  }
  truncateSync(file, start);
  return { kind: 'truncated', removedBytes: bytes.length - start };
}
