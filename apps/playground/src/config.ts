/** The network families the playground builds. */
export type Family =
  | 'plain'
  | 'residual'
  | 'highway'
  | 'conv'
  | 'resconv'
  | 'rnn'
  | 'lstm'
  | 'gru'
  | 'orthornn'
  | 'transformer';

/** The playground's configuration: what the controls set and the URL hash carries. */
export interface PlaygroundConfig {
  readonly family: Family;
  readonly activation: 'sigmoid' | 'tanh' | 'relu';
  /** Blocks (feedforward families) or layers (transformer). */
  readonly depth: number;
  /** Sequence length T (recurrent families). */
  readonly length: number;
  /** Hidden width, channels (conv) or model width (transformer). */
  readonly width: number;
  readonly init: 'he' | 'xavier' | 'lecun' | 'orthogonal';
  /** Normalization in every block (MLP and conv families). */
  readonly norm: 'none' | 'batch' | 'layer';
  /** Where the transformer's layer norms sit. */
  readonly placement: 'pre' | 'post';
  /** Residual branch scale s in x + s·F(x). */
  readonly branch: number;
  /** Spectral radius ρ of the vanilla RNN's recurrent matrix (ρ × a Haar-orthogonal matrix). */
  readonly rho: number;
  readonly seed: number;
}

/** The defaults (a link without a hash shows these). */
export const defaultConfig: PlaygroundConfig = {
  family: 'plain',
  activation: 'tanh',
  depth: 20,
  length: 50,
  width: 32,
  init: 'xavier',
  norm: 'none',
  placement: 'pre',
  branch: 1,
  rho: 1,
  seed: 1,
};

/**
 * Sizes that differ by family: conv nets and transformers cost several times an MLP of the same
 * depth and width (README, "How fast"), so their defaults are smaller, to update within a second.
 */
const familySizes: Partial<Record<Family, Pick<PlaygroundConfig, 'depth' | 'width'>>> = {
  conv: { depth: 8, width: 16 },
  resconv: { depth: 8, width: 16 },
  transformer: { depth: 4, width: 32 },
};

/** The defaults of a family: {@link defaultConfig} with the family's own sizes. */
export function defaultsFor(family: Family): PlaygroundConfig {
  return { ...defaultConfig, ...familySizes[family], family };
}

/** The choices of each enumerated control. */
export const choices = {
  family: [
    'plain',
    'residual',
    'highway',
    'conv',
    'resconv',
    'rnn',
    'lstm',
    'gru',
    'orthornn',
    'transformer',
  ],
  activation: ['sigmoid', 'tanh', 'relu'],
  init: ['he', 'xavier', 'lecun', 'orthogonal'],
  norm: ['none', 'batch', 'layer'],
  placement: ['pre', 'post'],
} as const;

/** What each family is called on the page. */
export const familyLabels: Record<Family, string> = {
  plain: 'plain MLP',
  residual: 'residual MLP',
  highway: 'highway MLP',
  conv: 'plain conv net',
  resconv: 'residual conv net',
  rnn: 'vanilla RNN',
  lstm: 'LSTM',
  gru: 'GRU',
  orthornn: 'orthogonal RNN',
  transformer: 'transformer',
};

/** The integer controls' ranges (inclusive). */
export const ranges = {
  depth: [1, 200],
  length: [2, 500],
  width: [2, 256],
  seed: [0, 1_000_000],
} as const;

/** The real-valued controls' ranges (inclusive). */
export const realRanges = {
  branch: [0, 10],
  rho: [0.05, 3],
} as const;

/** Every configuration key, in the order the hash writes them. */
export type Key = keyof PlaygroundConfig;
const keyOrder: readonly Key[] = [
  'family',
  'depth',
  'length',
  'activation',
  'width',
  'init',
  'norm',
  'placement',
  'branch',
  'rho',
  'seed',
];

const recurrent: readonly Family[] = ['rnn', 'lstm', 'gru', 'orthornn'];

/** Whether a family runs through time (its x-axis is the time step). */
export function isRecurrent(f: Family): boolean {
  return recurrent.includes(f);
}

/**
 * The keys that change the network of a family; the others are hidden on the page and named as
 * ignored when a link sets them.
 */
export function relevantKeys(f: Family): ReadonlySet<Key> {
  const keys: Key[] = ['family', 'width', 'seed'];
  if (isRecurrent(f)) {
    keys.push('length', 'init');
    if (f === 'rnn' || f === 'orthornn') keys.push('activation');
    if (f === 'rnn') keys.push('rho');
  } else if (f === 'transformer') {
    keys.push('depth', 'activation', 'init', 'placement');
  } else {
    keys.push('depth', 'activation', 'init', 'norm');
    if (f === 'residual' || f === 'resconv') keys.push('branch');
  }
  return new Set(keys);
}

/**
 * Reads a configuration from a URL hash (`#family=plain&depth=50&activation=sigmoid`); missing or
 * invalid entries take the family's default ({@link defaultsFor}), and each one ignored is named in `ignored` (so is a key the
 * chosen family does not use).
 */
export function parseHash(hash: string): { config: PlaygroundConfig; ignored: string[] } {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const ignored: string[] = [];
  const family = params.get('family');
  const known = (choices.family as readonly string[]).includes(family ?? '');
  const out: Record<string, string | number> = { ...defaultsFor(known ? (family as Family) : 'plain') };
  const given: string[] = [];
  for (const [key, value] of params) {
    if (key in choices) {
      const list = choices[key as keyof typeof choices] as readonly string[];
      if (list.includes(value)) {
        out[key] = value;
        given.push(key);
      } else ignored.push(`${key}=${value} (one of ${list.join(', ')})`);
    } else if (key in ranges) {
      const [lo, hi] = ranges[key as keyof typeof ranges];
      const n = Number(value);
      if (value.trim() !== '' && Number.isInteger(n) && n >= lo && n <= hi) {
        out[key] = n;
        given.push(key);
      } else ignored.push(`${key}=${value} (an integer in [${lo}, ${hi}])`);
    } else if (key in realRanges) {
      const [lo, hi] = realRanges[key as keyof typeof realRanges];
      const n = Number(value);
      if (value.trim() !== '' && Number.isFinite(n) && n >= lo && n <= hi) {
        out[key] = n;
        given.push(key);
      } else ignored.push(`${key}=${value} (a number in [${lo}, ${hi}])`);
    } else {
      ignored.push(`${key} (unknown)`);
    }
  }
  const config = out as unknown as PlaygroundConfig;
  const relevant = relevantKeys(config.family);
  for (const key of given) {
    if (!relevant.has(key as Key)) ignored.push(`${key} (not used by the ${familyLabels[config.family]})`);
  }
  return { config, ignored };
}

/** The hash for a configuration: every key the family uses, so that a link is explicit. */
export function toHash(c: PlaygroundConfig): string {
  const relevant = relevantKeys(c.family);
  const params = new URLSearchParams();
  for (const key of keyOrder) if (relevant.has(key)) params.set(key, String(c[key]));
  return `#${params.toString()}`;
}
