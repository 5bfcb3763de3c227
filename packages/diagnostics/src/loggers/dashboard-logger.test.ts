import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError } from '@gflow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepRecord } from '../step-record.js';
import { dashboardLogger } from './dashboard-logger.js';

const record = (step: number, extra: Partial<StepRecord> = {}): StepRecord => ({
  step,
  time: 1_700_000_000_000 + step,
  loss: 1 / (step + 1),
  globalNorm: 2 ** step,
  cosine: null,
  parameters: [{ name: 'w', gradNorm: 0.25, weightNorm: 2, ratio: 0.125, updateRatio: null }],
  finite: true,
  ...extra,
});

// A receiver written with node:http only (not the dashboard's server): it keeps every request.
const requests: { url: string; type: string; body: string }[] = [];
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      requests.push({ url: req.url ?? '', type: String(req.headers['content-type']), body });
      res.writeHead(req.url?.includes('refuse') ? 500 : 200).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('dashboardLogger', () => {
  it('POSTs every record, in order, as JSON lines with NaN and ∞ as strings', async () => {
    requests.length = 0;
    const logger = dashboardLogger({ run: 'run-a', url, maxBatch: 3 });
    for (let i = 0; i < 7; i++)
      logger.log(record(i, i === 5 ? { loss: Number.NaN, globalNorm: Infinity } : {}));
    await logger.flush();
    expect(logger.sent).toBe(7);
    expect(logger.failed).toBe(0);
    expect(requests.every((r) => r.url === '/api/runs/run-a/records')).toBe(true);
    expect(requests.every((r) => r.type === 'application/x-ndjson')).toBe(true);
    // maxBatch 3: no request carries more than 3 lines
    expect(Math.max(...requests.map((r) => r.body.trim().split('\n').length))).toBeLessThanOrEqual(3);
    const lines = requests.flatMap((r) => r.body.trim().split('\n'));
    expect(lines.map((l) => JSON.parse(l).step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(lines[5]).toContain('"loss":"NaN"');
    expect(lines[5]).toContain('"globalNorm":"Infinity"');
    expect(JSON.parse(lines[2] as string).loss).toBe(1 / 3);
  });

  it('sends from the event loop: log returns before any request is made', async () => {
    requests.length = 0;
    const logger = dashboardLogger({ run: 'later', url });
    logger.log(record(0));
    expect(requests.length).toBe(0);
    logger.close?.();
    await logger.flush();
    expect(requests.length).toBe(1);
  });

  it('counts records lost to an unreachable or refusing server, warns once, never throws', async () => {
    const errors: unknown[] = [];
    // Port 9 on 127.0.0.1 (discard) has no listener here; the request is refused.
    const down = dashboardLogger({ run: 'x', url: 'http://127.0.0.1:9', onError: (e) => errors.push(e) });
    down.log(record(0));
    await down.flush();
    down.log(record(1));
    await down.flush();
    expect(down.failed).toBe(2);
    expect(down.sent).toBe(0);
    expect(errors.length).toBe(1);

    const refusing = dashboardLogger({ run: 'refuse', url, onError: (e) => errors.push(e) });
    refusing.log(record(0));
    await refusing.flush();
    expect(refusing.failed).toBe(1);
    expect(String(errors[1])).toContain('HTTP 500');
  });

  it('refuses run names that are not file names, non-http URLs and bad batch sizes', () => {
    expect(() => dashboardLogger({ run: '../etc' })).toThrow(InvalidArgumentError);
    expect(() => dashboardLogger({ run: '' })).toThrow(/options\.run/);
    expect(() => dashboardLogger({ run: 'a', url: 'ftp://x' })).toThrow(/options\.url/);
    expect(() => dashboardLogger({ run: 'a', url: 'not a url' })).toThrow(/options\.url/);
    expect(() => dashboardLogger({ run: 'a', maxBatch: 0 })).toThrow(/maxBatch/);
    expect(() => dashboardLogger(undefined as never)).toThrow(InvalidArgumentError);
  });
});
