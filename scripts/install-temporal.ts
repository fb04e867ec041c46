/**
 * Makes sure a Temporal CLI (the dev server with its Web UI) is available, building it with Go
 * into the cache outside the repo when needed, so a fresh clone on the same machine reuses it.
 * Prints where it came from. Exits 0 without a binary when none can be had: the SDK then
 * downloads its own dev server on machines with internet access.
 */
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { locateTemporalCli } from '../src/temporal/cli';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('info');
  const cli = await locateTemporalCli({
    configuredPath: config.temporal.cliPath,
    cacheDir: config.system.cacheDir,
    env: config.system.childEnv,
    allowBuild: true,
    log,
  });
  if (cli) process.stdout.write(`Temporal CLI: ${cli.path} (from ${cli.source})\n`);
  else process.stdout.write('Temporal CLI: none found and no Go toolchain; the SDK will download its dev server\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
