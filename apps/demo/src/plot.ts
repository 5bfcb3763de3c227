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
  const predicted = (o.predicted ?? []).filter(keep);
  const color = {
    field: o.series.field,
    type: 'nominal',
    title: o.series.title,
    legend: { labelLimit: 480 },
  };
  const x = axisEncoding(o.x);
  const y = axisEncoding(o.y);
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
          : {}),
        tooltip: [{ field: o.x.field }, { field: o.y.field }, { field: o.series.field }],
      },
    },
  ];
  if (predicted.length > 0) {
    layers.push({
      data: { values: predicted.map((r) => ({ ...r, __kind: 'predicted' })) },
      mark: { type: 'line', strokeDash: [5, 4], strokeWidth: 1.4, opacity: 0.9, clip: true },
      encoding: { x, y, color, detail: { field: o.series.field } },
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
      mark: { type: 'text', align: 'left', dx: 3, dy: -4, baseline: 'bottom', fontSize: 10, angle: 0 },
      encoding: { x, y: { value: 10 }, text: { field: 'label' }, color: { value: '#333' } },
    });
  }
  const width = o.width ?? WIDTH;
  const body = o.facet
    ? {
        data: { values: measured },
        facet: { field: o.facet.field, type: 'nominal', title: o.facet.title },
        columns: o.facet.columns ?? 2,
        spec: { width, height: HEIGHT * 0.8, layer: layers.map(({ data: _d, ...l }) => l) },
        resolve: { scale: { y: 'shared' } },
      }
    : { width, height: HEIGHT, layer: layers };
  if (o.facet && predicted.length > 0) {
    throw new Error('linePlot: predicted lines and facets cannot be combined');
  }
  return {
    id: o.id,
    caption: o.caption,
    data: [...o.data, ...(o.predicted ?? []).map((r) => ({ ...r, predicted: true }))],
    spec: withConfig(body),
  };
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
}

/**
 * A heat map of a value over a rectangular grid, with a color legend and an optional overlay line.
 *
 * @param o - Cells, axes and the colored value.
 * @returns The plot.
 */
export function heatmapPlot(o: HeatmapPlotOptions): Plot {
  const cells = o.data.filter((r) => {
    const v = r[o.value.field];
    return typeof v === 'number' && Number.isFinite(v) && (!o.value.log || v > 0);
  });
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
      mark: { type: 'line', color: 'white', strokeWidth: 2.5 },
      encoding: {
        x: { field: o.x.field, type: 'quantitative' },
        y: { field: o.y.field, type: 'quantitative' },
        order: { field: o.y.field },
        strokeDash: { field: 'curve', type: 'nominal', title: 'overlay' },
      },
    });
  }
  return {
    id: o.id,
    caption: o.caption,
    data: [...o.data, ...(o.line?.data ?? []).map((r) => ({ ...r, overlay: o.line?.label ?? '' }))],
    spec: withConfig({ width: WIDTH, height: HEIGHT, layer: layers }),
  };
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
