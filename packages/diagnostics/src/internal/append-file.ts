import { flushOnExit } from './exit-flush.js';
import { nodeRequire } from './node-require.js';

/** The part of a sonic-boom stream the loggers use. */
interface SonicBoomLike {
  write(data: string | Uint8Array): boolean;
  flushSync(): void;
  end(): void;
}

/** An append-only file written through sonic-boom, flushed on exit and on signals. */
export interface AppendFile {
  /** Appends `data` (written at once, or held until {@link AppendFile.flush} when buffering). */
  write(data: string | Uint8Array): void;
  /** Writes what is held, synchronously. */
  flush(): void;
  /** Flushes, closes the file and removes the exit hook; later writes are ignored. */
  close(): void;
}

/**
 * Opens `path` for appending (creating its directory) with sonic-boom in synchronous mode. With
 * `buffered` false every {@link AppendFile.write} is one `write(2)` before it returns, so even
 * SIGKILL loses nothing already written; with `buffered` true, writes are held in sonic-boom's
 * buffer (written early once it passes 1 MiB) until `flush()`. Either way the file is flushed
 * on process exit and on SIGINT/SIGTERM (see `flushOnExit`).
 *
 * @internal
 */
export function openAppendFile(
  fn: string,
  path: string,
  options: { buffered: boolean; binary: boolean },
): AppendFile {
  const req = nodeRequire(fn);
  const SonicBoom = req('sonic-boom') as new (opts: Record<string, unknown>) => SonicBoomLike;
  const stream = new SonicBoom({
    dest: path,
    append: true,
    mkdir: true,
    sync: true,
    minLength: options.buffered ? 1 << 20 : 0,
    maxWrite: options.buffered ? 1 << 24 : undefined,
    contentMode: options.binary ? 'buffer' : 'utf8',
  });
  let open = true;
  const flush = () => {
    if (open) stream.flushSync();
  };
  const unhook = flushOnExit(fn, flush);
  return {
    write(data) {
      if (open) stream.write(data);
    },
    flush,
    close() {
      if (!open) return;
      flush();
      open = false;
      unhook();
      stream.end();
    },
  };
}
