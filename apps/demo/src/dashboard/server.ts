/**
 * `gflow dashboard`'s server: fastify over a {@link RunStore}, a chokidar watcher on the log
 * directory, server-sent events to the page, and a POST endpoint for `dashboardLogger`.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { GflowIOError, InvalidArgumentError } from '@gflow/core';
import { checkHealth, type Finding, nonFiniteReplacer, type StepRecord } from '@gflow/diagnostics';
import chokidar, { type FSWatcher } from 'chokidar';
import Fastify, { type FastifyInstance } from 'fastify';
import { dashboardExportFiles } from './export.js';
import { dashboardPage } from './page.js';
import { parseRecordLine, RUN_NAME, type RunState, RunStore } from './run-store.js';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** The log directory: one `<run>.jsonl` per run (created when missing). */
  readonly logDir: string;
  /** Address to bind (default 127.0.0.1: only this machine can connect). */
  readonly host?: string;
  /** Port (default 6006; 0 picks a free one). */
  readonly port?: number;
  /** Wait this long (ms) after new records before re-checking a run's health (default 250). */
  readonly healthDelayMs?: number;
}

/** A running dashboard. */
export interface DashboardServer {
  /** `http://host:port`. */
  readonly url: string;
  /** The port bound. */
  readonly port: number;
  /** The runs. */
  readonly store: RunStore;
  /** Stops the watcher, ends every event stream and closes the server. */
  close(): Promise<void>;
}

/** The bundled browser builds the page loads (no CDN: the page works offline). */
const VENDOR: Readonly<Record<string, { pkg: string; file: string }>> = {
  'vega.min.js': { pkg: 'vega', file: 'build/vega.min.js' },
  'vega-lite.min.js': { pkg: 'vega-lite', file: 'build/vega-lite.min.js' },
  'vega-embed.min.js': { pkg: 'vega-embed', file: 'build/vega-embed.min.js' },
};

/** Finds an installed package's folder the way Node does, without going through its `exports`. */
function packageDir(pkg: string): string {
  const require = createRequire(import.meta.url);
  for (const dir of require.resolve.paths(pkg) ?? []) {
    if (existsSync(join(dir, pkg, 'package.json'))) return join(dir, pkg);
  }
  throw new GflowIOError(`dashboard: the package ${pkg} is not installed; run pnpm install`);
}

const json = (x: unknown): string => JSON.stringify(x, nonFiniteReplacer);

/**
 * Starts `gflow dashboard`: serves the page, `GET /api/runs`, the records of each run, an
 * event stream of new records and health findings, and `POST /api/runs/:run/records` for
 * `dashboardLogger`.
 *
 * @param options - Log directory, host, port.
 * @returns The running server.
 * @throws GflowIOError when the port is in use or the address cannot be bound, or the log
 *   directory cannot be made; InvalidArgumentError for a port outside 0–65535.
 */
export async function startDashboard(options: DashboardOptions): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 6006;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`dashboard: --port must be an integer in 0–65535, got ${port}`);
  }
  const logDir = resolve(options.logDir);
  try {
    mkdirSync(logDir, { recursive: true });
    if (!statSync(logDir).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw new GflowIOError(
      `dashboard: --logdir ${logDir} is not a directory that can be made or read: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  const healthDelay = options.healthDelayMs ?? 250;

  const clients = new Set<ServerResponse>();
  const send = (event: string, data: unknown) => {
    const msg = `event: ${event}\ndata: ${json(data)}\n\n`;
    for (const c of clients) c.write(msg);
  };

  const healthTimers = new Map<string, NodeJS.Timeout>();
  const checkRun = (run: RunState): void => {
    healthTimers.delete(run.name);
    if (run.findings.at === run.records.length) return;
    let list: Finding[];
    try {
      list = checkHealth(run.records);
    } catch {
      list = [];
    }
    const changed = json(list) !== json(run.findings.list);
    run.findings = { at: run.records.length, list };
    if (changed) send('health', { run: run.name, findings: list });
  };

  const store = new RunStore(logDir, (run, from, records: readonly StepRecord[]) => {
    send('records', { run: run.name, from, records, summary: RunStore.summary(run) });
    if (!healthTimers.has(run.name)) {
      const t = setTimeout(() => checkRun(run), healthDelay);
      t.unref();
      healthTimers.set(run.name, t);
    }
  });
  store.readAll();

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  app.addContentTypeParser(
    ['application/x-ndjson', 'text/plain', 'application/jsonl'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  const page = dashboardPage();
  app.get('/', (_req, reply) => reply.type('text/html; charset=utf-8').send(page));

  const vendorCache = new Map<string, Buffer>();
  app.get<{ Params: { file: string } }>('/vendor/:file', (req, reply) => {
    const v = VENDOR[req.params.file];
    if (!v) return reply.code(404).send({ error: `no such file: ${req.params.file}` });
    let body = vendorCache.get(req.params.file);
    if (!body) {
      body = readFileSync(join(packageDir(v.pkg), v.file));
      vendorCache.set(req.params.file, body);
    }
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'max-age=3600').send(body);
  });

  app.get('/api/runs', (_req, reply) =>
    reply.type('application/json').send(json({ logDir, runs: store.list().map(RunStore.summary) })),
  );

  // The static export, in the report's format (index.html; results.json at /export/results.json).
  const exportFiles = () => {
    const runs = store.list();
    for (const run of runs) checkRun(run);
    return dashboardExportFiles(
      runs.map((r) => ({
        name: r.name,
        records: r.records,
        findings: r.findings.list,
        corruptLines: r.corruptLines,
      })),
      logDir,
    );
  };
  app.get('/export', async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send((await exportFiles())['index.html']),
  );
  app.get('/export/results.json', async (_req, reply) =>
    reply.type('application/json').send((await exportFiles())['results.json']),
  );

  app.get<{ Params: { run: string } }>('/api/runs/:run/records', (req, reply) => {
    const run = store.get(req.params.run);
    if (!run) return reply.code(404).send({ error: `no run named ${req.params.run}` });
    return reply.type('application/json').send(json({ run: run.name, records: run.records }));
  });

  app.get<{ Params: { run: string } }>('/api/runs/:run/health', (req, reply) => {
    const run = store.get(req.params.run);
    if (!run) return reply.code(404).send({ error: `no run named ${req.params.run}` });
    checkRun(run);
    return reply.type('application/json').send(json({ run: run.name, findings: run.findings.list }));
  });

  app.post<{ Params: { run: string }; Body: unknown }>('/api/runs/:run/records', (req, reply) => {
    const name = req.params.run;
    if (!RUN_NAME.test(name)) {
      return reply
        .code(400)
        .send({ error: `a run name must be 1–100 letters, digits, '.', '_' or '-', got "${name}"` });
    }
    if (typeof req.body !== 'string') {
      return reply
        .code(415)
        .send({ error: 'send the records as JSON lines, content-type application/x-ndjson' });
    }
    const good: string[] = [];
    let skipped = 0;
    for (const line of req.body.split('\n')) {
      if (line.trim() === '') continue;
      if (parseRecordLine(line)) good.push(line);
      else skipped++;
    }
    const file = store.fileOf(name);
    if (good.length > 0 || !store.get(name)) appendFileSync(file, good.map((l) => `${l}\n`).join(''));
    store.readFile(file);
    const run = store.get(name);
    if (run && skipped > 0) run.corruptLines += skipped;
    return reply.send({ accepted: good.length, skipped });
  });

  app.get('/api/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    // The state so far, then every change: a page that (re)connects needs nothing else.
    res.write(`event: hello\ndata: ${json({ logDir })}\n\n`);
    for (const run of store.list()) {
      res.write(
        `event: records\ndata: ${json({ run: run.name, from: 0, records: run.records, summary: RunStore.summary(run) })}\n\n`,
      );
      res.write(`event: health\ndata: ${json({ run: run.name, findings: run.findings.list })}\n\n`);
    }
    clients.add(res);
    req.raw.on('close', () => clients.delete(res));
  });

  const ping = setInterval(() => {
    for (const c of clients) c.write(': ping\n\n');
  }, 15_000);
  ping.unref();

  const watcher: FSWatcher = chokidar.watch(logDir, { depth: 0, ignoreInitial: true });
  const onFile = (path: string) => {
    try {
      store.readFile(path);
    } catch (e) {
      process.stderr.write(`gflow dashboard: ${(e as Error).message}\n`);
    }
  };
  watcher.on('add', onFile).on('change', onFile);
  await new Promise<void>((r) => watcher.once('ready', () => r()));
  // A safety net under the watcher (events can be coalesced or lost, e.g. on network file
  // systems): every 500 ms, read whatever grew or shrank. Reading an unchanged file costs a stat.
  const rescan = setInterval(() => {
    try {
      for (const f of readdirSync(logDir)) if (f.endsWith('.jsonl')) onFile(join(logDir, f));
    } catch {
      // the directory went away: keep what was read
    }
  }, 500);
  rescan.unref();

  try {
    await app.listen({ host, port });
  } catch (e) {
    await watcher.close();
    clearInterval(ping);
    clearInterval(rescan);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new GflowIOError(
        `dashboard: port ${port} on ${host} is already in use (another dashboard or TensorBoard?); pass --port <n>, or --port 0 for any free port`,
        { cause: e },
      );
    }
    throw new GflowIOError(`dashboard: cannot listen on ${host}:${port}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}`,
    port: bound,
    store,
    async close() {
      clearInterval(ping);
      clearInterval(rescan);
      for (const t of healthTimers.values()) clearTimeout(t);
      for (const c of clients) c.end();
      clients.clear();
      await watcher.close();
      await app.close();
    },
  };
}
