#!/usr/bin/env node
// The `gflow` command. Until the demo lands (issue 7), `gflow demo` prints the engine report.
import { initBackend } from '@gflow/backend';

const info = await initBackend();
console.log(`gflow engine: ${info.name} (simd ${info.simd}, threads ${info.threads})`);
for (const t of info.tried) console.log(`  ${t.ok ? 'ok  ' : 'skip'} ${t.name}: ${t.reason}`);
