/**
 * Plots: Vega-Lite specifications compiled by `vega-lite` and rendered to SVG by `vega`'s
 * headless `View.toSVG()` (no browser, no canvas). Nothing here draws SVG by hand; the helpers
 * only assemble Vega-Lite specs with the conventions every report plot follows: titled axes with
 * units, a legend, log scales where asked.
 */
import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import * as vl from 'vega-lite';

/** One row of plot data: plain numbers and strings only (it goes into results.json as is). */
export type Row = Record<string, number | string | boolean | null>;

/** An axis: the data field, its title with units, and its scale. */
export interface AxisSpec {
  /** The field of {@link Row} plotted on this axis. */
  readonly field: string;
  /** Axis title, units included, e.g. `'‖∂L/∂h‖ (L2 norm, log scale)'`. */
  readonly title: string;
  /** Logarithmic scale (base 10). Non-positive values are dropped from a log axis. */
  readonly log?: boolean;
  /** Field type; default quantitative. */
  readonly type?: 'quantitative' | 'ordinal' | 'nominal';
  /** Fixed domain. */
  readonly domain?: readonly [number, number];
}

/** A plot ready for the report: the Vega-Lite spec, the rows behind it and its caption. */
export interface Plot {
  /** Stable identifier, unique inside a report. */
  readonly id: string;
  /** One or two sentences under the figure. */
  readonly caption: string;
  /** Every number drawn, one object per mark. */
  readonly data: readonly Row[];
  /** The Vega-Lite specification (data inlined). */
  readonly spec: TopLevelSpec;
}

const WIDTH = 460;
const HEIGHT = 260;

function axisEncoding(a: AxisSpec): Record<string, unknown> {
  const scale: Record<string, unknown> = {};
  if (a.log) scale.type = 'log';
  if (a.domain) scale.domain = [...a.domain];
  if (!a.log && (a.type ?? 'quantitative') === 'quantitative') scale.zero = false;
  return {
    field: a.field,
    type: a.type ?? 'quantitative',
    title: a.title,
    ...(Object.keys(scale).length > 0 ? { scale } : {}),
    // On a log axis, label only the powers of ten (vega would also label 2×, 3×, 5×).
    ...(a.log
      ? {
          axis: {
            grid: true,
            labelExpr:
              "abs(log(datum.value) / LN10 - round(log(datum.value) / LN10)) < 1e-6 ? format(datum.value, '.0e') : ''",
          },
        }
      : {}),
  };
}

/** Options of {@link linePlot}. */
export interface LinePlotOptions {
  /** Plot id. */
  readonly id: string;
  /** Caption under the figure. */
  readonly caption: string;
  /** Measured rows. */
  readonly data: readonly Row[];
  /** Horizontal axis. */
  readonly x: AxisSpec;
  /** Vertical axis. */
  readonly y: AxisSpec;
  /** The series field (drawn as color, with a legend) and the legend title. */
  readonly series: { readonly field: string; readonly title: string };
  /** Draw points on the measured lines (default when fewer than 60 rows per series). */
  readonly points?: boolean;
  /**
   * Predicted or reference lines drawn dashed over the measurement; rows use the same x, y and
   * series fields as `data`.
   */
  readonly predicted?: readonly Row[];
  /** Vertical rules (e.g. a memory span) with a label, drawn dotted. */
  readonly rules?: readonly { readonly x: number; readonly label: string; readonly series?: string }[];
  /** Horizontal rules (e.g. a baseline loss) with a label, drawn dotted. */
  readonly hrules?: readonly { readonly y: number; readonly label: string }[];
  /** Facet into small multiples by this field (one column per value). */
  readonly facet?: { readonly field: string; readonly title: string; readonly columns?: number };
  /** Field whose value becomes the stroke dash (e.g. measured vs predicted); legend included. */
  readonly dashField?: { readonly field: string; readonly title: string };
  /** Width of one panel in px. */
  readonly width?: number;
}

/**
 * A line plot with a legend, optional dashed predictions and labelled vertical rules.
 *
 * @param o - The data, axes and series.
 * @returns The plot (spec and data); render it with {@link renderSvg}.
 */
export function linePlot(o: LinePlotOptions): Plot {
  const keep = (r: Row): boolean => {
    for (const a of [o.x, o.y]) {
      const v = r[a.field];
      if (typeof v === 'number' && (!Number.isFinite(v) || (a.log && v <= 0))) return false;
    }
    return true;
  };
  const measured = o.data.filter(keep);
  // Predictions are clipped to the measured range, so a prediction that runs off (ρ^T at ρ > 1)
  // cannot stretch the axis and flatten the measured curves; the rows keep every value.
  const ys = measured.map((r) => r[o.y.field]).filter((v): v is number => typeof v === 'number');
  const yLo = Math.min(...ys);
  const yHi = Math.max(...ys);
  const predictedAll = (o.predicted ?? []).filter(keep);
  const predicted = predictedAll.filter((r) => {
    const v = r[o.y.field];
    return typeof v !== 'number' || (v >= yLo && v <= yHi);
  });
  const predictionClipped = predicted.length < predictedAll.length;
  const color = {
    field: o.series.field,
    type: 'nominal',
    title: o.series.title,
    legend: { labelLimit: 480 },
  };
  const x = axisEncoding(o.x);
  const y = axisEncoding(o.y);
  // Dashed = predicted, said in a legend of its own.
  const kindDash = {
    field: '__kind',
    type: 'nominal',
    title: 'line',
    scale: {
      domain: ['measured', 'predicted'],
      range: [
        [1, 0],
        [5, 4],
      ],
    },
    legend: { symbolStrokeColor: '#333', symbolType: 'stroke' },
  };
  const layers: Record<string, unknown>[] = [
    {
      data: { values: measured.map((r) => ({ ...r, __kind: 'measured' })) },
      mark: { type: 'line', point: o.points ?? measured.length < 200, strokeWidth: 1.6, clip: true },
      encoding: {
        x,
        y,
        color,
        ...(o.dashField
          ? { strokeDash: { field: o.dashField.field, type: 'nominal', title: o.dashField.title } }
          : predicted.length > 0
            ? { strokeDash: kindDash }
            : {}),
        tooltip: [{ field: o.x.field }, { field: o.y.field }, { field: o.series.field }],
      },
    },
  ];
  if (predicted.length > 0) {
    layers.push({
      data: { values: predicted.map((r) => ({ ...r, __kind: 'predicted' })) },
      mark: { type: 'line', strokeWidth: 1.4, opacity: 0.9, clip: true },
      encoding: { x, y, color, strokeDash: kindDash, detail: { field: o.series.field } },
    });
  }
  if (o.rules && o.rules.length > 0) {
    const rows = o.rules.map((r) => ({ [o.x.field]: r.x, label: r.label, [o.series.field]: r.series ?? '' }));
    layers.push({
      data: { values: rows },
      mark: { type: 'rule', strokeDash: [2, 3], strokeWidth: 1.2 },
      encoding: {
        x,
        ...(o.rules.some((r) => r.series) ? { color } : { color: { value: '#555' } }),
      },
    });
    layers.push({
      data: { values: rows },
      mark: {
        type: 'text',
        align: 'left',
        dx: 4,
        dy: 2,
        baseline: 'top',
        fontSize: 11,
        fontWeight: 'bold',
        angle: 0,
      },
      encoding: { x, y: { value: 2 }, text: { field: 'label' }, color: { value: '#111' } },
    });
  }
  if (o.hrules && o.hrules.length > 0) {
    const rows = o.hrules.map((r) => ({ [o.y.field]: r.y, label: r.label }));
    layers.push(
      {
        data: { values: rows },
        mark: { type: 'rule', strokeDash: [2, 3], color: '#111', strokeWidth: 1.5 },
        encoding: { y },
      },
      {
        data: { values: rows },
        mark: {
          type: 'text',
          align: 'right',
          dx: -4,
          dy: -4,
          baseline: 'bottom',
          fontSize: 11,
          color: '#111',
        },
        encoding: { y, x: { value: o.width ?? WIDTH }, text: { field: 'label' } },
      },
    );
  }
  const width = o.width ?? WIDTH;
  const body = o.facet
    ? {
        data: { values: measured },
        facet: { field: o.facet.field, type: 'nominal', title: o.facet.title },
        columns: o.facet.columns ?? 2,
        spec: { width, height: HEIGHT * 0.8, layer: layers.map(({ data: _d, ...l }) => l) },
        // Each panel its own x range (depth 5 and depth 100 share no useful axis); y shared to compare.
        resolve: { scale: { y: 'shared', x: 'independent' } },
      }
    : { width, height: HEIGHT, layer: layers };
  if (o.facet && predicted.length > 0) {
    throw new Error('linePlot: predicted lines and facets cannot be combined');
  }
  const same = coincidingSeries(measured, o.x.field, o.y.field, o.series.field, { log: o.y.log === true });
  const notes = [
    ...same.map(
      (g) =>
        `${g.join(' and ')} coincide (within 1% of the axis range at every point), so they draw as one line.`,
    ),
    ...(predictionClipped
      ? ['Dashed predictions are drawn only inside the measured range (all values are in results.json).']
      : []),
  ];
  return {
    id: o.id,
    caption: notes.length > 0 ? `${o.caption} ${notes.join(' ')}` : o.caption,
    data: [...o.data, ...(o.predicted ?? []).map((r) => ({ ...r, predicted: true }))],
    spec: withConfig(body),
  };
}

/**
 * Groups of series that draw as one line: at every shared x (at least two) their values differ by
 * at most `tol` of the plotted range, measured in log₁₀ on a log axis (span log₁₀(max/min) of the
 * positive values) and linearly otherwise (max − min). The caption must say so.
 *
 * @param rows - Measured rows.
 * @param xField - The x field.
 * @param yField - The y field.
 * @param seriesField - The series field.
 * @param opts - `log`: the y axis is logarithmic; `tol`: the fraction of the range (default 1%).
 * @returns Groups of two or more series names, in first-seen order.
 */
export function coincidingSeries(
  rows: readonly Row[],
  xField: string,
  yField: string,
  seriesField: string,
  opts: { readonly log?: boolean; readonly tol?: number } = {},
): string[][] {
  const log = opts.log === true;
  const tol = opts.tol ?? 0.01;
  const ys = rows
    .map((r) => r[yField])
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && (!log || v > 0))
    .map((v) => (log ? Math.log10(v) : v));
  if (ys.length === 0) return [];
  const span = Math.max(...ys) - Math.min(...ys);
  if (!(span > 0)) return [];
  const bySeries = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const v = r[yField];
    if (typeof v !== 'number' || !Number.isFinite(v) || (log && v <= 0)) continue;
    const k = String(r[seriesField]);
    const m = bySeries.get(k) ?? new Map<string, number>();
    m.set(String(r[xField]), log ? Math.log10(v) : v);
    bySeries.set(k, m);
  }
  const names = [...bySeries.keys()];
  const close = (a: Map<string, number>, b: Map<string, number>): boolean => {
    let shared = 0;
    for (const [xk, va] of a) {
      const vb = b.get(xk);
      if (vb === undefined) continue;
      shared += 1;
      if (Math.abs(va - vb) > tol * span) return false;
    }
    return shared >= 2;
  };
  const groups: string[][] = [];
  const used = new Set<string>();
  for (let i = 0; i < names.length; i++) {
    const a = names[i] as string;
    if (used.has(a)) continue;
    const g = [a];
    for (let j = i + 1; j < names.length; j++) {
      const b = names[j] as string;
      if (
        !used.has(b) &&
        close(bySeries.get(a) as Map<string, number>, bySeries.get(b) as Map<string, number>)
      ) {
        g.push(b);
        used.add(b);
      }
    }
    if (g.length > 1) groups.push(g);
  }
  return groups;
}

/** Options of {@link heatmapPlot}. */
export interface HeatmapPlotOptions {
  /** Plot id. */
  readonly id: string;
  /** Caption under the figure. */
  readonly caption: string;
  /** Grid cells. */
  readonly data: readonly Row[];
  /** Horizontal axis (binned quantitative values are drawn as ordinal cells). */
  readonly x: AxisSpec;
  /** Vertical axis. */
  readonly y: AxisSpec;
  /** The colored value, with its legend title (units). */
  readonly value: AxisSpec;
  /** An overlay line (e.g. the critical line), drawn over the cells: rows with x and y fields. */
  readonly line?: { readonly data: readonly Row[]; readonly label: string };
  /**
   * Cells of width 1 at integer x and y (steps, layers): the `_end` fields are made as value + 1.
   * Without it every row carries `<x>_end` and `<y>_end`.
   */
  readonly unitCells?: boolean;
  /** Small multiples, one panel per value of this field (not with `line`). */
  readonly facet?: { readonly field: string; readonly title: string; readonly columns?: number };
}

/**
 * A heat map of a value over a rectangular grid, with a color legend and an optional overlay line.
 *
 * @param o - Cells, axes and the colored value.
 * @returns The plot.
 */
export function heatmapPlot(o: HeatmapPlotOptions): Plot {
  const kept = o.data.filter((r) => {
    const v = r[o.value.field];
    return typeof v === 'number' && Number.isFinite(v) && (!o.value.log || v > 0);
  });
  const cells = o.unitCells
    ? kept.map((r) => ({
        ...r,
        [`${o.x.field}_end`]: (r[o.x.field] as number) + 1,
        [`${o.y.field}_end`]: (r[o.y.field] as number) + 1,
      }))
    : kept;
  const layers: Record<string, unknown>[] = [
    {
      data: { values: cells },
      mark: { type: 'rect' },
      encoding: {
        x: { field: o.x.field, type: 'quantitative', bin: { binned: true }, title: o.x.title },
        x2: { field: `${o.x.field}_end` },
        y: { field: o.y.field, type: 'quantitative', bin: { binned: true }, title: o.y.title },
        y2: { field: `${o.y.field}_end` },
        color: {
          field: o.value.field,
          type: 'quantitative',
          title: o.value.title,
          scale: {
            scheme: 'viridis',
            ...(o.value.log ? { type: 'log' } : {}),
            // a fixed colour domain puts several heat maps on one scale
            ...(o.value.domain ? { domain: [...o.value.domain] } : {}),
          },
        },
      },
    },
  ];
  if (o.line) {
    layers.push({
      data: { values: o.line.data.map((r) => ({ ...r, curve: o.line?.label ?? '' })) },
      mark: { type: 'line', strokeWidth: 2.5 },
      encoding: {
        x: { field: o.x.field, type: 'quantitative' },
        y: { field: o.y.field, type: 'quantitative' },
        order: { field: o.y.field },
        // A red line shows over every viridis colour, and its legend swatch on white.
        stroke: {
          field: 'curve',
          type: 'nominal',
          title: 'overlay',
          scale: { range: ['#e8112d'] },
          legend: { symbolType: 'stroke', symbolStrokeWidth: 3 },
        },
      },
    });
  }
  if (o.facet && o.line) throw new Error('heatmapPlot: an overlay line and facets cannot be combined');
  const body = o.facet
    ? {
        data: { values: cells },
        // Panels in the order the rows come (vega-lite would sort them by name).
        facet: {
          field: o.facet.field,
          type: 'nominal',
          title: o.facet.title,
          sort: [...new Set(cells.map((r) => String(r[o.facet?.field ?? ''])))],
        },
        columns: o.facet.columns ?? 1,
        spec: { width: WIDTH + 100, height: HEIGHT * 0.6, layer: layers.map(({ data: _d, ...l }) => l) },
      }
    : { width: WIDTH, height: HEIGHT, layer: layers };
  return {
    id: o.id,
    caption: o.caption,
    data: [...o.data, ...(o.line?.data ?? []).map((r) => ({ ...r, overlay: o.line?.label ?? '' }))],
    spec: withConfig(body),
  };
}

/** Options of {@link histogramPlot}. */
export interface HistogramPlotOptions {
  /** Plot id. */
  readonly id: string;
  /** Caption under the figure. */
  readonly caption: string;
  /** Bins: rows with `<x.field>` (bin start), `<x.field>_end` and the y field. */
  readonly data: readonly Row[];
  /** The binned value (its title with units). */
  readonly x: AxisSpec;
  /** The bin height (e.g. fraction of entries). */
  readonly y: AxisSpec;
  /** One panel per value of this field, each with its own x range. */
  readonly facet: { readonly field: string; readonly title: string; readonly columns?: number };
}

/**
 * Histograms as small multiples: one panel per facet value, each with its own x range (the
 * values of different activations live on different scales), a shared y axis.
 *
 * @param o - Bins, axes and facet.
 * @returns The plot.
 */
export function histogramPlot(o: HistogramPlotOptions): Plot {
  return {
    id: o.id,
    caption: o.caption,
    data: o.data,
    spec: withConfig({
      data: { values: o.data },
      facet: {
        field: o.facet.field,
        type: 'nominal',
        title: o.facet.title,
        sort: [...new Set(o.data.map((r) => String(r[o.facet.field])))],
      },
      columns: o.facet.columns ?? 4,
      spec: {
        width: 200,
        height: 140,
        mark: { type: 'rect', color: '#4a7ab5' },
        encoding: {
          x: { field: o.x.field, type: 'quantitative', bin: { binned: true }, title: o.x.title },
          x2: { field: `${o.x.field}_end` },
          y: { ...axisEncoding(o.y), ...(o.y.log ? {} : { scale: { zero: true } }) },
        },
      },
      resolve: { scale: { x: 'independent', y: 'shared' } },
    }),
  };
}

/**
 * Bins values into `bins` equal bins over [min, max] of the finite values.
 *
 * @param values - The values.
 * @param bins - Number of bins.
 * @returns Bin starts, ends and the fraction of the finite values in each.
 */
export function binValues(
  values: ArrayLike<number>,
  bins: number,
): { start: number; end: number; fraction: number }[] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue;
    n += 1;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (n === 0) return [];
  if (hi === lo) return [{ start: lo - 0.5, end: hi + 0.5, fraction: 1 }];
  const w = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue;
    const k = Math.min(bins - 1, Math.floor((v - lo) / w));
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts.map((c, i) => ({ start: lo + i * w, end: lo + (i + 1) * w, fraction: c / n }));
}

/** Options of {@link barPlot}. */
export interface BarPlotOptions {
  /** Plot id. */
  readonly id: string;
  /** Caption under the figure. */
  readonly caption: string;
  /** Bars. */
  readonly data: readonly Row[];
  /** Category axis (ordinal or quantitative position). */
  readonly x: AxisSpec;
  /** Bar length axis. */
  readonly y: AxisSpec;
  /** Series (color + legend); grouped bars side by side. */
  readonly series: { readonly field: string; readonly title: string };
}

/**
 * A grouped bar chart with a legend.
 *
 * @param o - Bars, axes and series.
 * @returns The plot.
 */
export function barPlot(o: BarPlotOptions): Plot {
  const rows = o.data.filter((r) => {
    const v = r[o.y.field];
    return typeof v === 'number' && Number.isFinite(v) && (!o.y.log || v > 0);
  });
  return {
    id: o.id,
    caption: o.caption,
    data: o.data,
    spec: withConfig({
      width: WIDTH,
      height: HEIGHT,
      data: { values: rows },
      mark: { type: 'bar' },
      encoding: {
        x: { ...axisEncoding({ ...o.x, type: o.x.type ?? 'ordinal' }) },
        xOffset: { field: o.series.field },
        y: axisEncoding(o.y),
        color: { field: o.series.field, type: 'nominal', title: o.series.title, legend: { labelLimit: 480 } },
      },
    }),
  };
}

function withConfig(body: Record<string, unknown>): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 8,
    config: {
      font: 'Helvetica, Arial, sans-serif',
      axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
      legend: { labelFontSize: 11, titleFontSize: 12, orient: 'right', labelLimit: 400, titleLimit: 400 },
      line: { strokeCap: 'round' },
    },
    ...body,
  } as TopLevelSpec;
}

/**
 * Renders a plot's Vega-Lite spec to a standalone SVG string in Node, without a browser.
 *
 * @param plot - The plot.
 * @returns The SVG markup (no scripts, no external references).
 */
export async function renderSvg(plot: Plot): Promise<string> {
  const compiled = vl.compile(plot.spec).spec;
  // The default loader could fetch URLs; reports only ever hold inline values, so forbid it.
  const loader = vega.loader({ mode: 'file' });
  loader.load = async () => {
    throw new Error('renderSvg: plots must inline their data');
  };
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
