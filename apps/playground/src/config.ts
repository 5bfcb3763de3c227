/** The playground's configuration: what the controls set and the URL hash carries. */
export interface PlaygroundConfig {
  readonly family: 'plain' | 'residual';
  readonly activation: 'sigmoid' | 'tanh' | 'relu';
  readonly depth: number;
  readonly width: number;
  readonly init: 'he' | 'xavier' | 'lecun' | 'orthogonal';
  readonly seed: number;
}

/** The defaults (a link without a hash shows these). */
export const defaultConfig: PlaygroundConfig = {
  family: 'plain',
  activation: 'tanh',
  depth: 20,
  width: 32,
  init: 'xavier',
  seed: 1,
};

/** The choices of each enumerated control. */
export const choices = {
  family: ['plain', 'residual'],
  activation: ['sigmoid', 'tanh', 'relu'],
  init: ['he', 'xavier', 'lecun', 'orthogonal'],
} as const;

/** The numeric controls' ranges (inclusive). */
export const ranges = {
  depth: [1, 200],
  width: [2, 256],
  seed: [0, 1_000_000],
} as const;

/**
 * Reads a configuration from a URL hash (`#family=plain&depth=50&activation=sigmoid`); missing or
 * invalid entries take the default, and each one ignored is named in `ignored`.
 */
export function parseHash(hash: string): { config: PlaygroundConfig; ignored: string[] } {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const ignored: string[] = [];
  const out: Record<string, string | number> = { ...defaultConfig };
  for (const [key, value] of params) {
    if (key in choices) {
      const list = choices[key as keyof typeof choices] as readonly string[];
      if (list.includes(value)) out[key] = value;
      else ignored.push(`${key}=${value} (one of ${list.join(', ')})`);
    } else if (key in ranges) {
      const [lo, hi] = ranges[key as keyof typeof ranges];
      const n = Number(value);
      if (Number.isInteger(n) && n >= lo && n <= hi) out[key] = n;
      else ignored.push(`${key}=${value} (an integer in [${lo}, ${hi}])`);
    } else {
      ignored.push(`${key} (unknown)`);
    }
  }
  return { config: out as unknown as PlaygroundConfig, ignored };
}

/** The hash for a configuration (every key, so that a link is explicit). */
export function toHash(c: PlaygroundConfig): string {
  return `#${new URLSearchParams({
    family: c.family,
    depth: String(c.depth),
    activation: c.activation,
    width: String(c.width),
    init: c.init,
    seed: String(c.seed),
  }).toString()}`;
}
