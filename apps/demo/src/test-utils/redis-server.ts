/**
 * A real Redis for tests: the one `.ci/run` started (`GFLOW_TEST_REDIS_URL`), or else one started
 * here from Debian's `redis-server` on a free port of 127.0.0.1 (no persistence), stopped by PID.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** A running Redis. */
export interface TestRedis {
  /** `redis://127.0.0.1:PORT/0`. */
  readonly url: string;
  /** The port. */
  readonly port: number;
  /** Stops it if this helper started it. */
  stop(): Promise<void>;
}

/** Whether a `redis-server` binary is on the PATH (or the URL of one is given). */
export function redisAvailable(): boolean {
  if (process.env.GFLOW_TEST_REDIS_URL) return true;
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A TCP port free on 127.0.0.1 at the time of asking. */
export async function freePort(): Promise<number> {
  return await new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

/**
 * Gives a Redis to test against.
 *
 * @returns The running server; call `stop()` after the tests.
 */
export async function startTestRedis(): Promise<TestRedis> {
  const given = process.env.GFLOW_TEST_REDIS_URL;
  if (given) {
    const port = Number(new URL(given).port || 6379);
    return { url: given, port, stop: async () => {} };
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((res, rej) => {
    let text = '';
    const onData = (d: Buffer): void => {
      text += d.toString();
      if (/Ready to accept connections/i.test(text)) res();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => rej(new Error(`redis-server exited (${code}): ${text.slice(-500)}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
