/** `gflow backend`: which engine is in use and why, as @gflow/backend reports it. */
import { type BackendInfo, initBackend } from '@gflow/backend';
import type { EngineFlag } from './program.js';

/**
 * Starts the engine named by `--engine` (or the default choice).
 *
 * @param engine - `auto` or an engine name.
 * @returns The engine report.
 */
export async function startEngine(engine: EngineFlag): Promise<BackendInfo> {
  return initBackend(engine === 'auto' ? {} : { prefer: engine });
}

/** Formats an engine report as text lines. */
export function formatBackendInfo(info: BackendInfo): string {
  const lines = [
    `engine: ${info.name}${info.device ? ` (${info.device})` : ''}`,
    `  accelerated: ${info.accelerated ? 'yes' : 'no'}, SIMD: ${info.simd ? 'yes' : 'no'}, threads: ${info.threads}`,
    `  fills: ${info.fills.length > 0 ? info.fills.join(', ') : 'none'}`,
    '  tried, in order:',
    ...info.tried.map((t) => `    ${t.ok ? 'chosen ' : 'skipped'} ${t.name}: ${t.reason}`),
  ];
  return lines.join('\n');
}

/** Runs `gflow backend`. */
export async function backendCommand(o: {
  readonly engine: EngineFlag;
  readonly json: boolean;
}): Promise<void> {
  const info = await startEngine(o.engine);
  console.log(o.json ? JSON.stringify(info, null, 2) : formatBackendInfo(info));
}
