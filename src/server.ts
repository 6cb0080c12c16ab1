/** Starts the service: load config, build the app, listen, and close gracefully on a signal. */
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { describeError } from './lib/log-safety.js';

async function main(): Promise<void> {
  // Everything the service creates (database files, uploads, the secret) is its user's alone.
  process.umask(0o077);
  const config = await loadConfig(process.env);
  const app = await buildApp(config);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({ port: config.port, host: config.host });
  app.log.info(`docs at http://${config.host}:${config.port}/docs`);
}

main().catch((err: unknown) => {
  // The logger may not exist yet (bad configuration), so the reason goes to stderr plainly.
  // Through the log's error rules: a failed query at start (the bootstrap key's lookup) carries its parameters.
  process.stderr.write(`${err instanceof ConfigError ? err.message : describeError(err)}\n`);
  process.exit(1);
});
