/**
 * The two databases on the local PostgreSQL, set up the way docker-compose.yml's temporal-admin-tools service does
 * it (deploy/temporal/setup-postgres.sh): create if missing, set up the schema from version 0.0, apply the versions
 * not yet applied. Idempotent; `fresh` drops both first (the drills start from nothing).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { databaseNames, SQL_PLUGIN } from './topology';

export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** This machine's PostgreSQL: trust authentication on loopback for the `postgres` role (env machine notes). */
export const LOCAL_POSTGRES: PostgresTarget = { host: '127.0.0.1', port: 5432, user: 'postgres', password: '' };

function run(binary: string, args: string[], env: Record<string, string | undefined>): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(binary, args, { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(binary)} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout + stderr);
    }),
  );
}

export async function setUpDatabases(opts: {
  sqlTool: string;
  pg: PostgresTarget;
  databasePrefix: string;
  fresh: boolean;
  env: Record<string, string | undefined>;
}): Promise<void> {
  const names = databaseNames(opts.databasePrefix);
  const base = ['--plugin', SQL_PLUGIN, '--ep', opts.pg.host, '-p', String(opts.pg.port), '-u', opts.pg.user];
  const env = { ...opts.env, SQL_PASSWORD: opts.pg.password };
  for (const [db, schema] of [
    [names.store, 'temporal'],
    [names.visibility, 'visibility'],
  ] as const) {
    const tool = (...args: string[]) => run(opts.sqlTool, [...base, '--db', db, ...args], env);
    if (opts.fresh) await tool('drop-database', '--force');
    await tool('create-database');
    await tool('setup-schema', '-v', '0.0');
    // The schema files are embedded in the tool (the same files the admin-tools image carries).
    await tool('update-schema', '--schema-name', `postgresql/v12/${schema}`);
  }
}

/** Drops both databases (the drills' and tests' own prefixes, once they are done). */
export async function dropDatabases(opts: {
  sqlTool: string;
  pg: PostgresTarget;
  databasePrefix: string;
  env: Record<string, string | undefined>;
}): Promise<void> {
  const names = databaseNames(opts.databasePrefix);
  const base = ['--plugin', SQL_PLUGIN, '--ep', opts.pg.host, '-p', String(opts.pg.port), '-u', opts.pg.user];
  for (const db of [names.store, names.visibility]) {
    await run(opts.sqlTool, [...base, '--db', db, 'drop-database', '--force'], {
      ...opts.env,
      SQL_PASSWORD: opts.pg.password,
    });
  }
}
