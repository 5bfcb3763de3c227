/** `gflow dashboard`: starts the server and runs until Ctrl-C. */
import type { DashboardCommandOptions } from '../program.js';
import { startDashboard } from './server.js';

/**
 * Starts the dashboard on the given log directory, prints its address, and keeps running.
 *
 * @param o - Log directory, port, host.
 * @returns When the server is listening (the process then stays up until Ctrl-C).
 * @throws GflowIOError when the port is in use or the log directory cannot be made.
 */
export async function dashboardCommand(o: DashboardCommandOptions): Promise<void> {
  const server = await startDashboard({ logDir: o.logdir, port: o.port, host: o.host });
  process.stdout.write(
    `gflow dashboard: ${server.url}  (log directory ${server.store.dir}; ${server.store.list().length} runs)\n` +
      `  stream a script's records with dashboardLogger({ run: 'name', url: '${server.url}' }); Ctrl-C stops.\n`,
  );
}
