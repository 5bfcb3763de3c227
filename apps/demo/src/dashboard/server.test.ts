import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GflowIOError } from '@gflow/core';
import { dashboardLogger, type StepRecord } from '@gflow/diagnostics';
import { afterAll, describe, expect, it } from 'vitest';
import { type DashboardServer, startDashboard } from './server.js';

const root = mkdtempSync(join(tmpdir(), 'gflow-dashboard-'));
const servers: DashboardServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  rmSync(root, { recursive: true, force: true });
});

const record = (step: number, extra: Partial<StepRecord> = {}): StepRecord => ({
  step,
  time: 1_700_000_000_000 + step,
  loss: 1 / (step + 1),
  globalNorm: 2 ** -step,
  cosine: null,
  parameters: [{ name: 'w', gradNorm: 0.5, weightNorm: 2, ratio: 0.25, updateRatio: 1e-3 }],
  taps: [{ name: 'block0', gradNorm: 0.1 }],
  finite: true,
  ...extra,
});
const line = (r: StepRecord) => `${JSON.stringify(r)}\n`;

async function start(dir: string, port = 0): Promise<DashboardServer> {
  const s = await startDashboard({ logDir: dir, port, healthDelayMs: 10 });
  servers.push(s);
  return s;
}

interface Runs {
  runs: {
    name: string;
    steps: number;
    corruptLines: number;
    latest: { step: number; loss: unknown; globalNorm: unknown; learningRate: unknown } | null;
  }[];
}
const runs = async (s: DashboardServer): Promise<Runs> =>
  (await fetch(`${s.url}/api/runs`)).json() as Promise<Runs>;

/** Polls until `ok` holds (the watcher reports file changes asynchronously); fails after 20 s. */
async function until<T>(get: () => Promise<T>, ok: (x: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const x = await get();
    if (ok(x)) return x;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met; last value ${JSON.stringify(await get())}`);
}

describe('gflow dashboard server', () => {
  it('reads a log directory, skips and counts corrupt lines, waits for a half-written one', async () => {
    const dir = join(root, 'a');
    const s = await start(dir);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/); // loopback unless told otherwise
    const file = join(dir, 'run1.jsonl');
    const half = line(record(2));
    writeFileSync(file, `${line(record(0))}{"step": 1, "loss": oops\n${line(record(1))}${half.slice(0, 20)}`);
    let r = await until(
      () => runs(s),
      (x) => x.runs[0]?.steps === 2,
    );
    expect(r.runs[0]).toMatchObject({
      name: 'run1',
      steps: 2,
      corruptLines: 1,
      latest: { step: 1, loss: 0.5 },
    });
    appendFileSync(file, half.slice(20));
    r = await until(
      () => runs(s),
      (x) => x.runs[0]?.steps === 3,
    );
    expect(r.runs[0]).toMatchObject({
      steps: 3,
      corruptLines: 1,
      latest: { step: 2, loss: 1 / 3, globalNorm: 0.25 },
    });
    // Not a record (valid JSON, wrong shape) and a non-UTF-8 byte line: skipped and counted.
    appendFileSync(file, '{"hello": 1}\n');
    appendFileSync(file, Buffer.from([0xff, 0xfe, 0x0a]));
    r = await until(
      () => runs(s),
      (x) => x.runs[0]?.corruptLines === 3,
    );
    expect(r.runs[0]?.steps).toBe(3);
    // A file written again from scratch (shorter) is read again from its start.
    writeFileSync(file, line(record(0, { loss: 7 })));
    r = await until(
      () => runs(s),
      (x) => x.runs[0]?.steps === 1,
    );
    expect(r.runs[0]).toMatchObject({ steps: 1, corruptLines: 0, latest: { step: 0, loss: 7 } });
  });

  it('takes records from dashboardLogger, writes them to <run>.jsonl, keeps NaN and ∞ apart from null', async () => {
    const dir = join(root, 'b');
    const s = await start(dir);
    const logger = dashboardLogger({ run: 'live', url: s.url });
    logger.log(record(0, { info: { 'schedule.learningRate': 0.01 } }));
    logger.log(record(1, { loss: Number.NaN, globalNorm: Number.POSITIVE_INFINITY, finite: false }));
    await logger.flush();
    expect(logger.sent).toBe(2);
    const r = await runs(s);
    expect(r.runs).toEqual([
      {
        name: 'live',
        steps: 2,
        corruptLines: 0,
        latest: {
          step: 1,
          time: 1_700_000_000_001,
          loss: 'NaN',
          globalNorm: 'Infinity',
          learningRate: null,
          finite: false,
        },
        findings: expect.any(Number),
      },
    ]);
    const text = readFileSync(join(dir, 'live.jsonl'), 'utf8').trim().split('\n');
    expect(text.length).toBe(2);
    expect(JSON.parse(text[0] as string).info['schedule.learningRate']).toBe(0.01);
    // a bad line in a POST is skipped and counted; the good ones are kept
    const res = await fetch(`${s.url}/api/runs/live/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `not json\n${line(record(2))}`,
    });
    expect(await res.json()).toEqual({ accepted: 1, skipped: 1 });
    expect((await runs(s)).runs[0]).toMatchObject({ steps: 3, corruptLines: 1 });
    // a run name that is not a file name is refused
    const bad = await fetch(`${s.url}/api/runs/a%2F..%2Fb/records`, {
      method: 'POST',
      body: line(record(0)),
    });
    expect(bad.status).toBe(400);
    // health findings, with remedies: the non-finite step is an error
    const h = (await (await fetch(`${s.url}/api/runs/live/health`)).json()) as {
      findings: { kind: string; remedy: string }[];
    };
    const nonFinite = h.findings.find((f) => f.kind === 'non-finite');
    expect(nonFinite?.remedy.length).toBeGreaterThan(0);
  });

  it('streams new records as server-sent events', async () => {
    const dir = join(root, 'c');
    const s = await start(dir);
    const ac = new AbortController();
    const res = await fetch(`${s.url}/api/events`, { signal: ac.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const dec = new TextDecoder();
    appendFileSync(join(dir, 'r.jsonl'), line(record(0)) + line(record(1)));
    let got = '';
    while (!got.includes('event: records')) {
      const { value, done } = await reader.read();
      if (done) break;
      got += dec.decode(value);
    }
    ac.abort();
    const data = got.split('event: records\ndata: ')[1]?.split('\n')[0] ?? '';
    const msg = JSON.parse(data) as { run: string; from: number; records: StepRecord[] };
    expect(msg.run).toBe('r');
    expect(msg.from).toBe(0);
    expect(msg.records.map((x) => x.step)).toEqual(msg.records.length === 2 ? [0, 1] : [0]);
  });

  it('serves the page and the bundled vega builds (no network needed)', async () => {
    const s = await start(join(root, 'd'));
    const page = await (await fetch(s.url)).text();
    const srcs = [...page.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    expect(srcs).toEqual(['/vendor/vega.min.js', '/vendor/vega-lite.min.js', '/vendor/vega-embed.min.js']);
    for (const src of srcs) {
      const res = await fetch(`${s.url}${src}`);
      expect(res.status).toBe(200);
      expect((await res.text()).length).toBeGreaterThan(10_000);
    }
    expect((await fetch(`${s.url}/vendor/secret`)).status).toBe(404);
  });

  it("serves the static export of its runs in the report's format", async () => {
    const dir = join(root, 'x');
    const s = await start(dir);
    writeFileSync(join(dir, 'r1.jsonl'), line(record(0)) + line(record(1)));
    await until(
      () => runs(s),
      (x) => x.runs[0]?.steps === 2,
    );
    const html = await (await fetch(`${s.url}/export`)).text();
    expect(html).toContain('<figure id="run-r1-taps"><svg');
    expect(html).not.toContain('<script');
    const res = (await (await fetch(`${s.url}/export/results.json`)).json()) as {
      sections: Record<string, { plots: { id: string; data: { value: number }[] }[] }>;
    };
    // taps of 0.1 at both steps: log10 = -1
    const taps = res.sections['run-r1']?.plots.find((p) => p.id === 'taps')?.data ?? [];
    expect(taps.map((c) => c.value)).toEqual([-1, -1]);
  });

  it('says clearly when the port is in use', async () => {
    const a = await start(join(root, 'e'));
    // bound to the loopback address unless told otherwise
    expect(a.url).toBe(`http://127.0.0.1:${a.port}`);
    const err = await startDashboard({ logDir: join(root, 'e'), port: a.port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GflowIOError);
    expect((err as Error).message).toContain(`port ${a.port} on 127.0.0.1 is already in use`);
    await expect(startDashboard({ logDir: join(root, 'e'), port: 70000 })).rejects.toThrow(/--port/);
  });
});
