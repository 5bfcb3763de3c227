#!/usr/bin/env node
/**
 * The `gflow` command: `gflow demo [--quick] [--out DIR]`, `gflow analyze`, `gflow sweep`,
 * `gflow backend`, `gflow dashboard`. CI runs `gflow demo --quick --out .ci/out/report` (under a minute).
 * Errors are printed as one paragraph (set GFLOW_DEBUG=1 for the stack); Ctrl-C removes any
 * half-written report folder before exiting.
 */
import { analyzeCommand } from './analyze.js';
import { backendCommand } from './backend-command.js';
import { formatCliError } from './cli-error.js';
import { dashboardCommand } from './dashboard/command.js';
import { runDemo } from './demo.js';
import { createProgram } from './program.js';
import { removeActiveTempFolder } from './report.js';
import { sweepCommand, workerCommand } from './sweep-command.js';

// `gflow worker` handles its own signals (it lets the cells in progress finish).
if (process.argv[2] !== 'worker')
  process.once('SIGINT', () => {
    removeActiveTempFolder();
    const sweeping = process.argv[2] === 'sweep';
    if (process.argv[2] === 'dashboard') {
      process.stderr.write('\ngflow dashboard: stopped.\n');
      process.exit(0);
    }
    process.stderr.write(
      sweeping
        ? '\ngflow: interrupted; every finished cell is in the results file: run the same command again to continue.\n'
        : '\ngflow: interrupted; no partial report was left behind.\n',
    );
    process.exit(130);
  });

const program = createProgram({
  demo: async (o) => {
    await runDemo(o);
  },
  analyze: async (o) => {
    await analyzeCommand(o); // sets the exit code to 2 when the diagnosis fails --fail-on
  },
  sweep: sweepCommand,
  worker: workerCommand,
  backend: backendCommand,
  dashboard: dashboardCommand,
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.stderr.write(formatCliError(e, Boolean(process.env.GFLOW_DEBUG)));
  process.exitCode = 1;
}
