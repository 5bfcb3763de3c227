/**
 * Where the sweep queue lives: a `redis://HOST:PORT/DB` address, its password from the
 * environment (never from the command line, where `ps` and shell history show it), messages with
 * the address but never a credential, and one clear error when Redis cannot be reached.
 */
import { GflowIOError, InvalidArgumentError } from '@gflow/core';
import { Redis } from 'ioredis';

/** The environment variable that holds the Redis password (`REDISCLI_AUTH`, redis-cli's, is read too). */
export const PASSWORD_ENV = 'GFLOW_REDIS_PASSWORD';

/** Where to connect: the options ioredis and BullMQ both take. */
export interface RedisConnection {
  /** Host name or address. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** Database number. */
  readonly db: number;
  /** ACL user (Redis 6+). */
  readonly username?: string;
  /** Password (from the environment). */
  readonly password?: string;
  /** TLS settings (for `rediss://`). */
  readonly tls?: Record<string, never>;
}

/** A parsed queue address. */
export interface RedisTarget {
  /** Connection options (host, port, db, password, TLS). */
  readonly connection: RedisConnection;
  /** The address as it may be printed: credentials never appear. */
  readonly display: string;
}

/**
 * Parses `redis://HOST[:PORT][/DB]` (or `rediss://` for TLS). The password comes from
 * `GFLOW_REDIS_PASSWORD` (or `REDISCLI_AUTH`); an address that carries one is refused, so that a
 * password is never typed on a command line. A user name may be given in the address (Redis 6 ACL).
 *
 * @param fn - The command, for messages (`gflow sweep --queue`).
 * @param url - The address.
 * @param env - Where the password is read (default `process.env`).
 * @returns Connection options and the printable address.
 * @throws InvalidArgumentError for a malformed address or one with a password in it.
 */
export function parseRedisUrl(fn: string, url: string, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidArgumentError(
      `${fn}: "${url}" is not an address; it needs the form redis://HOST:PORT/DB.`,
    );
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new InvalidArgumentError(
      `${fn}: the address must start with redis:// (or rediss:// for TLS), got ${u.protocol}//.`,
    );
  if (u.password !== '')
    throw new InvalidArgumentError(
      `${fn}: the address redis://${u.username ? `${u.username}:` : ''}***@${u.host}${u.pathname} carries a password; put the password in the ${PASSWORD_ENV} environment variable instead (a command line is visible to every user of the machine through ps and is kept in shell history).`,
    );
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new InvalidArgumentError(`${fn}: the address "${url}" names no host.`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,2}$/.test(dbText))
    throw new InvalidArgumentError(
      `${fn}: the database in "${url}" must be a number from 0 to 99, got "${dbText}".`,
    );
  const db = dbText === '' ? 0 : Number(dbText);
  const password = env[PASSWORD_ENV] ?? env.REDISCLI_AUTH;
  const username = u.username === '' ? undefined : decodeURIComponent(u.username);
  const display = `${u.protocol}//${username ? `${username}@` : ''}${u.host}/${db}`;
  return {
    connection: {
      host,
      port,
      db,
      ...(username === undefined ? {} : { username }),
      ...(password === undefined || password === '' ? {} : { password }),
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    },
    display,
  };
}

/**
 * Connects once, without retrying, and sends PING: the one place a wrong address, a stopped Redis
 * or a wrong password becomes a clear message, before any queue client starts its silent retries.
 *
 * @param fn - The command, for messages.
 * @param target - From {@link parseRedisUrl}.
 * @param timeoutMs - How long to wait for the connection (default 5 s).
 * @throws GflowIOError naming the address (without credentials) and the cause.
 */
export async function probeRedis(fn: string, target: RedisTarget, timeoutMs = 5000): Promise<void> {
  const client = new Redis({
    ...target.connection,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // The socket's own error (ECONNREFUSED, ENOTFOUND, …) says more than the rejected promise's
  // "Connection is closed": keep it for the message.
  let socketError: Error | undefined;
  client.on('error', (e: Error) => {
    socketError ??= e;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    const reason = (socketError?.message ?? (e as Error)?.message ?? String(e)).replace(/\.+$/, '');
    const hint = /NOAUTH|WRONGPASS|invalid password|AUTH/i.test(reason)
      ? ` Set the password in ${PASSWORD_ENV}.`
      : ' Is redis-server running there, and reachable from this machine?';
    throw new GflowIOError(`${fn}: cannot reach Redis at ${target.display}: ${reason}.${hint}`, { cause: e });
  } finally {
    client.disconnect();
  }
}
