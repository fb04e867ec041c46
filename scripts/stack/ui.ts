/** The standalone Temporal Web UI server, pointed at the frontend and at an API process's codec endpoint. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ManagedProcess, until } from './process';

export function uiConfig(opts: {
  frontendPort: number;
  uiPort: number;
  namespace: string;
  codecEndpoint: string;
}): string {
  return `# Written by scripts/stack (npm run stack:prod); regenerated at every start.
temporalGrpcAddress: 127.0.0.1:${opts.frontendPort}
host: 127.0.0.1
port: ${opts.uiPort}
enableUi: true
defaultNamespace: ${opts.namespace}
showTemporalSystemNamespace: false
notifyOnNewVersion: false
refreshInterval: 1m
cors:
  cookieInsecure: true
  allowOrigins:
    - http://localhost:${opts.uiPort}
    - http://127.0.0.1:${opts.uiPort}
# Aftercare encrypts every payload; the browser decodes them through the API with the operator's session cookie
# (sign in at <api>/codec/session), as docker-compose.yml's temporal-ui does.
codec:
  endpoint: ${opts.codecEndpoint}
  includeCredentials: true
  passAccessToken: false
`;
}

export function uiServerProcess(opts: {
  binary: string;
  stateDir: string;
  frontendPort: number;
  uiPort: number;
  namespace: string;
  codecEndpoint: string;
  env: Record<string, string | undefined>;
  logDir: string;
  echo: boolean;
}): ManagedProcess {
  const root = path.join(opts.stateDir, 'ui');
  mkdirSync(path.join(root, 'config'), { recursive: true });
  // The UI server reads base.yaml, then the --env file over it.
  writeFileSync(path.join(root, 'config', 'base.yaml'), '{}\n');
  writeFileSync(path.join(root, 'config', 'aftercare.yaml'), uiConfig(opts));
  return new ManagedProcess({
    name: 'temporal-ui',
    command: opts.binary,
    args: ['--root', root, '--config', 'config', '--env', 'aftercare', 'start'],
    cwd: root,
    env: opts.env,
    logDir: opts.logDir,
    echo: opts.echo,
    readyTimeoutMs: 60_000,
    ready: async (_output, alive) => {
      await until(async () => (await fetch(`http://127.0.0.1:${opts.uiPort}/`)).ok, alive, 300);
    },
  });
}
