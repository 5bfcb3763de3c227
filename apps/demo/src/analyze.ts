/** `gflow analyze`: the flow report and diagnosis of one model. */
import { UnsupportedError } from '@gflow/core';
import * as diagnostics from '@gflow/diagnostics';
import * as models from '@gflow/models';
import { startEngine } from './backend-command.js';
import { loadModelFromFile } from './model-io.js';
import type { AnalyzeOptions } from './program.js';

/** Runs `gflow analyze`. */
export async function analyzeCommand(o: AnalyzeOptions): Promise<void> {
  await startEngine(o.engine);
  const missing = [
    ...(['fromLayersModel', 'plainMLP'] as const)
      .filter((n) => !(n in models))
      .map((n) => `@gflow/models ${n}`),
    ...(['measureGradientFlow'] as const)
      .filter((n) => !(n in diagnostics))
      .map((n) => `@gflow/diagnostics ${n}`),
  ];
  if (o.kind === 'file') {
    const model = await loadModelFromFile(o.path);
    model.dispose();
  }
  if (missing.length > 0) {
    throw new UnsupportedError(
      `analyze: not available yet: this build of gflow does not export ${missing.join(', ')}`,
    );
  }
}
