import type { Plugin } from 'esbuild';
/** Builds the playground into `outDir` (index.html, playground.js, wasm/); returns `outDir`. */
export function buildPlayground(outDir: string, plugins?: Plugin[]): Promise<string>;
