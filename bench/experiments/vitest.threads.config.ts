// Runs the repository's own test projects with the threaded wasm engine:
//   npx vitest run -c bench/experiments/vitest.threads.config.ts --project backend
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({ test: { setupFiles: [fileURLToPath(new URL('./threads-setup.ts', import.meta.url))] } }),
);
