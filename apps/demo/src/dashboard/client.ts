/**
 * The dashboard page's script. {@link clientMain}'s source text is written into the page and run
 * in the browser, so its body uses nothing from outside itself: only the DOM, `EventSource`, and
 * the `vega` and `vegaEmbed` globals of the bundled builds. Being TypeScript here, it is
 * type-checked and linted with the rest of the app.
 */

/** Runs in the browser: connects to `/api/events` and keeps the charts up to date. */
export function clientMain(): void {
  type Num = number | null;
  interface Rec {
    step: number;
    time: number;
    loss: Num;
    globalNorm: number;
    finite: boolean;
    parameters: { name: string; gradNorm: Num; updateRatio: Num }[];
    taps?: { name: string; gradNorm: Num }[];
    info?: Record<string, number>;
    guard?: { action: string; reason: string };
    histogram?: { edges: number[]; counts: number[]; underflow: number; overflow: number };
  }
  interface Summary {
    name: string;
    steps: number;
    corruptLines: number;
    latest: { step: number; loss: Num; globalNorm: number; learningRate: Num; finite: boolean } | null;
    findings: number;
  }
  interface Finding {
    kind: string;
    severity: string;
    message: string;
    remedy: string;
    subject?: string;
    step?: number;
  }
  type Row = Record<string, number | string | null> & { run: string };
  interface Changeset {
    insert(rows: readonly Row[]): Changeset;
  }
  interface VegaView {
    change(name: string, cs: Changeset): VegaView;
    runAsync(): Promise<unknown>;
    finalize(): void;
  }
  const g = window as unknown as {
    vega: { changeset(): Changeset };
    vegaEmbed: (el: HTMLElement, spec: object, opts: object) => Promise<{ view: VegaView }>;
    /** `recordRows` of rows.ts, written into the page before this script. */
    gflowRecordRows: (run: string, r: Rec, state: { lastHist: number }) => Record<Dataset, Row[]>;
  };

  const DATASETS = ['scalars', 'events', 'taps', 'params', 'updates', 'hist'] as const;
  type Dataset = (typeof DATASETS)[number];
  const runs = new Map<
    string,
    { records: Rec[]; summary: Summary | null; findings: Finding[]; lastHist: number }
  >();
  const selected = new Set<string>();
  const rows: Record<Dataset, Row[]> = {
    scalars: [],
    events: [],
    taps: [],
    params: [],
    updates: [],
    hist: [],
  };
  let pending: Record<Dataset, Row[]> = {
    scalars: [],
    events: [],
    taps: [],
    params: [],
    updates: [],
    hist: [],
  };
  let mode: 'overlay' | 'side' = 'overlay';
  let specKey = '';
  let dirty = false;
  let timer: number | undefined;
  const views = new Map<string, VegaView>();

  const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;
  const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const fmt = (x: Num | undefined): string => {
    if (x === null || x === undefined) return '—';
    if (!Number.isFinite(x)) return String(x);
    if (x === 0) return '0';
    const a = Math.abs(x);
    return a >= 1e-3 && a < 1e4 ? String(Number(x.toPrecision(3))) : x.toExponential(2);
  };
  const reviver = (_k: string, v: unknown): unknown =>
    v === 'NaN'
      ? Number.NaN
      : v === 'Infinity'
        ? Number.POSITIVE_INFINITY
        : v === '-Infinity'
          ? Number.NEGATIVE_INFINITY
          : v;
  // ---- specs (Vega-Lite, the report's plotting stack) ----
  const W = 360;
  const runFilter = (r: string | null) =>
    r === null ? [] : [{ filter: `datum.run === ${JSON.stringify(r)}` }];
  const shown = (): string[] => [...runs.keys()].filter((r) => selected.has(r)).sort();

  const timelinePanel = (metric: string, title: string, log: boolean, run: string | null, last: boolean) => ({
    width: W,
    height: 90,
    layer: [
      {
        data: { name: 'scalars' },
        transform: [{ filter: `datum.metric === '${metric}'` }, ...runFilter(run)],
        mark: { type: 'line', clip: true, interpolate: 'linear' },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: last ? 'step' : null },
          y: {
            field: 'value',
            type: 'quantitative',
            title,
            scale: { type: log ? 'log' : 'linear', zero: false },
          },
          color: { field: 'run', type: 'nominal', title: 'run' },
          tooltip: [
            { field: 'run', type: 'nominal' },
            { field: 'step', type: 'quantitative' },
            { field: 'value', type: 'quantitative', title, format: '.3~g' },
          ],
        },
      },
      {
        data: { name: 'events' },
        transform: runFilter(run),
        mark: { type: 'rule', opacity: 0.55, strokeWidth: 1.5 },
        encoding: {
          x: { field: 'step', type: 'quantitative' },
          color: {
            field: 'kind',
            type: 'nominal',
            title: 'event',
            scale: { domain: ['clip', 'guard', 'non-finite'], range: ['#f58518', '#e45756', '#b279a2'] },
          },
          tooltip: [
            { field: 'run', type: 'nominal' },
            { field: 'step', type: 'quantitative' },
            { field: 'kind', type: 'nominal' },
            { field: 'detail', type: 'nominal' },
          ],
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  });
  const METRICS: [string, string, boolean][] = [
    ['loss', 'loss', false],
    ['norm', 'global ‖g‖ (log)', true],
    ['lr', 'learning rate (log)', true],
  ];
  const timelineSpec = (names: string[]) =>
    mode === 'overlay'
      ? {
          vconcat: METRICS.map(([m, t, log], i) => timelinePanel(m, t, log, null, i === METRICS.length - 1)),
          resolve: { scale: { x: 'shared', color: 'independent' } },
        }
      : {
          vconcat: METRICS.map(([m, t, log], i) => ({
            hconcat: names.map((r) => ({
              ...timelinePanel(m, t, log, r, i === METRICS.length - 1),
              title: i === 0 ? r : '',
            })),
            resolve: { scale: { x: 'shared', y: 'shared', color: 'independent' } },
          })),
          resolve: { scale: { x: 'shared', color: 'independent' } },
        };

  const heatSpec = (dataset: string, title: string, names: string[]) => ({
    hconcat: names.map((r) => ({
      title: r,
      width: W,
      height: { step: 14 },
      data: { name: dataset },
      transform: runFilter(r),
      mark: { type: 'rect' },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step', scale: { zero: false, nice: false } },
        x2: { field: 'step2' },
        y: { field: 'layer', type: 'nominal', sort: { field: 'index', op: 'min' }, title: null },
        color: { field: 'value', type: 'quantitative', title, scale: { scheme: 'viridis' } },
        tooltip: [
          { field: 'layer', type: 'nominal' },
          { field: 'step', type: 'quantitative' },
          { field: 'norm', type: 'quantitative', title: 'norm', format: '.3~g' },
        ],
      },
    })),
    resolve: { scale: { x: 'shared', color: 'shared' } },
  });

  const band = {
    data: { values: [{ y: 1e-4 }, { y: 1e-2 }] },
    mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
    encoding: { y: { field: 'y', type: 'quantitative' } },
  };
  const updatePanel = (run: string | null) => ({
    width: W,
    height: 160,
    layer: [
      {
        data: { name: 'updates' },
        transform: runFilter(run),
        mark: { type: 'line', clip: true },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'step' },
          y: { field: 'value', type: 'quantitative', title: '‖Δθ‖/‖θ‖ (log)', scale: { type: 'log' } },
          color: { field: 'param', type: 'nominal', title: 'parameter' },
          ...(run === null ? { strokeDash: { field: 'run', type: 'nominal', title: 'run' } } : {}),
          tooltip: [
            { field: 'run', type: 'nominal' },
            { field: 'param', type: 'nominal' },
            { field: 'step', type: 'quantitative' },
            { field: 'value', type: 'quantitative', format: '.3~g' },
          ],
        },
      },
      band,
    ],
  });
  const updateSpec = (names: string[]) =>
    mode === 'overlay'
      ? updatePanel(null)
      : {
          hconcat: names.map((r) => ({ ...updatePanel(r), title: r })),
          resolve: { scale: { x: 'shared', y: 'shared', color: 'shared' } },
        };

  const histSpec = (names: string[]) => ({
    hconcat: names.map((r) => ({
      title: r,
      width: W,
      height: 160,
      data: { name: 'hist' },
      transform: runFilter(r),
      mark: { type: 'rect' },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step', scale: { zero: false, nice: false } },
        x2: { field: 'step2' },
        y: { field: 'lo', type: 'quantitative', title: 'log₁₀|g|' },
        y2: { field: 'hi' },
        color: {
          field: 'frac',
          type: 'quantitative',
          title: 'fraction of entries',
          scale: { scheme: 'blues' },
        },
        tooltip: [
          { field: 'step', type: 'quantitative' },
          { field: 'lo', type: 'quantitative', title: 'from log₁₀|g|' },
          { field: 'frac', type: 'quantitative', format: '.3~g' },
        ],
      },
    })),
    resolve: { scale: { x: 'shared', y: 'shared', color: 'shared' } },
  });

  const CHARTS: { id: string; datasets: Dataset[]; spec: (names: string[]) => object; empty: string }[] = [
    { id: 'timeline', datasets: ['scalars', 'events'], spec: timelineSpec, empty: 'No records yet.' },
    {
      id: 'taps',
      datasets: ['taps'],
      spec: (n) => heatSpec('taps', 'log₁₀‖∂L/∂h‖', n),
      empty: 'No activation gradients yet: they come from trainStep(…, { taps: true }) or watchFlow.',
    },
    {
      id: 'params',
      datasets: ['params'],
      spec: (n) => heatSpec('params', 'log₁₀‖∂L/∂θ‖', n),
      empty: 'No parameter gradients yet.',
    },
    {
      id: 'updates',
      datasets: ['updates'],
      spec: updateSpec,
      empty: 'No update ratios yet (the first step has none).',
    },
    {
      id: 'hist',
      datasets: ['hist'],
      spec: histSpec,
      empty: 'No histograms yet: GradientMonitor({ histogram: { every: n } }) records them.',
    },
  ];

  /** Whether a chart has anything to draw for the runs shown (its first dataset has rows). */
  const hasData = (c: (typeof CHARTS)[number]): boolean =>
    rows[c.datasets[0] as Dataset].some((x) => selected.has(x.run));

  const embedAll = async (): Promise<void> => {
    const names = shown();
    for (const v of views.values()) v.finalize();
    views.clear();
    for (const c of CHARTS) {
      const el = $(c.id);
      el.innerHTML = '';
      if (names.length === 0) {
        el.textContent = 'No run selected.';
        continue;
      }
      if (!hasData(c)) {
        // Drawn once its first rows arrive (the key of the layout below changes then).
        el.innerHTML = `<p class="note empty">${c.empty}</p>`;
        continue;
      }
      // resize: lay the chart out again as data arrives (axis labels, legends), not only once.
      const spec = { autosize: { type: 'pad', resize: true }, ...c.spec(names) };
      // logLevel Error: an empty layer (no clip event yet) makes vega warn of an infinite extent,
      // which is expected here; errors still reach the console.
      const { view } = await g.vegaEmbed(el, spec, { renderer: 'svg', actions: false, logLevel: 1 });
      for (const d of c.datasets) {
        view.change(d, g.vega.changeset().insert(rows[d].filter((x) => selected.has(x.run))));
      }
      await view.runAsync();
      views.set(c.id, view);
    }
  };

  const insertPending = async (): Promise<void> => {
    const p = pending;
    pending = { scalars: [], events: [], taps: [], params: [], updates: [], hist: [] };
    for (const c of CHARTS) {
      const view = views.get(c.id);
      if (!view) continue;
      let any = false;
      for (const d of c.datasets) {
        const add = p[d].filter((x) => selected.has(x.run));
        if (add.length > 0) {
          view.change(d, g.vega.changeset().insert(add));
          any = true;
        }
      }
      if (any) await view.runAsync();
    }
  };

  let rendering = false;
  const render = async (): Promise<void> => {
    timer = undefined;
    if (rendering) {
      schedule();
      return;
    }
    rendering = true;
    try {
      const key = `${mode}|${shown().join(',')}|${CHARTS.map((c) => (hasData(c) ? 1 : 0)).join('')}`;
      if (dirty || key !== specKey) {
        dirty = false;
        specKey = key;
        pending = { scalars: [], events: [], taps: [], params: [], updates: [], hist: [] };
        await embedAll();
      } else {
        await insertPending();
      }
      $('rendered').textContent = String(Date.now());
    } catch (e) {
      console.error(e);
    } finally {
      rendering = false;
    }
  };
  const schedule = (): void => {
    if (timer === undefined) timer = window.setTimeout(() => void render(), 150);
  };

  // ---- the runs table and the findings ----
  const renderRuns = (): void => {
    const tbody = $('runs-body');
    const names = [...runs.keys()].sort();
    tbody.innerHTML = names
      .map((name) => {
        const r = runs.get(name);
        const s = r?.summary;
        const l = s?.latest;
        const bad = (r?.findings ?? []).filter((f) => f.severity === 'error').length;
        return `<tr data-run="${esc(name)}">
          <td><input type="checkbox" class="pick" data-run="${esc(name)}" ${selected.has(name) ? 'checked' : ''}></td>
          <td class="name">${esc(name)}</td>
          <td class="steps" data-run="${esc(name)}">${r?.records.length ?? 0}</td>
          <td>${l ? l.step : '—'}</td><td>${fmt(l?.loss)}</td><td>${fmt(l?.globalNorm)}</td><td>${fmt(l?.learningRate)}</td>
          <td>${s?.corruptLines ?? 0}</td>
          <td class="${bad > 0 ? 'err' : ''}">${r?.findings.length ?? 0}</td></tr>`;
      })
      .join('');
    let total = 0;
    for (const r of runs.values()) total += r.records.length;
    $('total-steps').textContent = String(total);
  };

  const renderFindings = (): void => {
    const parts: string[] = [];
    for (const name of shown()) {
      const fs = runs.get(name)?.findings ?? [];
      parts.push(
        `<h3>${esc(name)}</h3>${
          fs.length === 0
            ? '<p class="ok">No findings.</p>'
            : `<ul>${fs
                .map(
                  (f) =>
                    `<li class="${esc(f.severity)}"><b>${esc(f.severity)}</b> ${esc(f.kind)}${
                      f.subject ? ` · ${esc(f.subject)}` : ''
                    }${f.step !== undefined ? ` · from step ${f.step}` : ''}: ${esc(f.message)}<br><span class="remedy">Remedy: ${esc(f.remedy)}</span></li>`,
                )
                .join('')}</ul>`
        }`,
      );
    }
    $('findings').innerHTML = parts.join('') || '<p>No run selected.</p>';
  };

  $('runs-body').addEventListener('change', (e) => {
    const t = e.target as HTMLInputElement;
    if (!t.classList.contains('pick')) return;
    const name = t.dataset.run ?? '';
    if (t.checked) selected.add(name);
    else selected.delete(name);
    renderFindings();
    schedule();
  });
  for (const m of ['overlay', 'side'] as const) {
    $(`mode-${m}`).addEventListener('change', () => {
      mode = m;
      schedule();
    });
  }

  // ---- the event stream ----
  const onRecords = (msg: { run: string; from: number; records: Rec[]; summary: Summary }): void => {
    let r = runs.get(msg.run);
    if (!r) {
      r = { records: [], summary: null, findings: [], lastHist: -1 };
      runs.set(msg.run, r);
      selected.add(msg.run);
    }
    r.summary = msg.summary;
    let add = msg.records;
    if (msg.from === 0 && r.records.length > 0) {
      // Started again (the file was truncated, or the page reconnected): rebuild this run's rows.
      r.records = [];
      r.lastHist = -1;
      for (const d of DATASETS) rows[d] = rows[d].filter((x) => x.run !== msg.run);
      dirty = true;
    } else if (msg.from < r.records.length) {
      add = add.slice(r.records.length - msg.from);
    }
    for (const rec of add) {
      r.records.push(rec);
      const rs = g.gflowRecordRows(msg.run, rec, r);
      for (const d of DATASETS) {
        for (const x of rs[d]) {
          rows[d].push(x);
          pending[d].push(x);
        }
      }
    }
    renderRuns();
    schedule();
  };

  const connect = (): void => {
    const es = new EventSource('/api/events');
    es.addEventListener('open', () => {
      $('status').textContent = 'live';
      $('status').className = 'live';
    });
    es.addEventListener('error', () => {
      $('status').textContent = 'reconnecting…';
      $('status').className = 'down';
    });
    es.addEventListener('hello', (e) => {
      const m = JSON.parse((e as MessageEvent).data, reviver) as { logDir: string };
      $('logdir').textContent = m.logDir;
    });
    es.addEventListener('records', (e) => onRecords(JSON.parse((e as MessageEvent).data, reviver)));
    es.addEventListener('health', (e) => {
      const m = JSON.parse((e as MessageEvent).data, reviver) as { run: string; findings: Finding[] };
      const r = runs.get(m.run);
      if (!r) return;
      r.findings = m.findings;
      renderRuns();
      renderFindings();
    });
  };
  connect();
}
