/** `gflow dashboard`: starts the server and runs until Ctrl-C. */
import type { DashboardCommandOptions } from '../program.js';
import { exportDashboard } from './export.js';
import { startDashboard } from './server.js';

/**
 * Starts the dashboard on the given log directory, prints its address, and keeps running; with
 * `--export DIR`, writes the static export instead and returns.
 *
 * @param o - Log directory, port, host.
 * @returns When the server is listening (the process then stays up until Ctrl-C).
 * @throws GflowIOError when the port is in use or the log directory cannot be made or read.
 */
export async function dashboardCommand(o: DashboardCommandOptions): Promise<void> {
  if (o.export !== undefined) {
    const n = await exportDashboard(o.logdir, o.export);
    process.stdout.write(
      `gflow dashboard: exported ${n} runs from ${o.logdir} to ${o.export}/index.html and results.json\n`,
    );
    return;
  }
  const server = await startDashboard({ logDir: o.logdir, port: o.port, host: o.host });
  process.stdout.write(
    `gflow dashboard: ${server.url}  (log directory ${server.store.dir}; ${server.store.list().length} runs)\n` +
      `  stream a script's records with dashboardLogger({ run: 'name', url: '${server.url}' }); Ctrl-C stops.\n`,
  );
}
