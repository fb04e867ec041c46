import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Logger } from '../logger';
import { formatElapsed, GoBuildProgress } from './build-progress';
import { startProgressDisplay } from './progress-display';

export interface GoInstallOptions {
  go: string;
  /** `module/path/cmd/x@version`, one or more (all from one module, built in one go). */
  packages: string[];
  /** GOBIN: where the binaries land, outside the repo. */
  binDir: string;
  /** What is being built, for the log and the status line ("Temporal CLI"). */
  label: string;
  ldflags?: string;
  env: Record<string, string | undefined>;
  log: Logger;
}

/**
 * `go install` with a one-line progress display (minutes, once per machine: the Temporal CLI, server, schema tool
 * and UI server are each cached outside the repo). Rejects with the compiler's own error when the build fails.
 */
export async function goInstall(opts: GoInstallOptions): Promise<void> {
  mkdirSync(opts.binDir, { recursive: true });
  const what = opts.packages.join(' ');
  opts.log.info(
    { packages: opts.packages, into: opts.binDir },
    `building the ${opts.label} with Go (once per machine; takes a few minutes)`,
  );
  // The status line shares the terminal with the logs: let that line out before drawing under it.
  await new Promise<void>((resolve) => opts.log.flush(() => resolve()));
  const started = Date.now();
  const progress = new GoBuildProgress(`building ${opts.label}`);
  const display = startProgressDisplay(
    (elapsedMs, maxWidth) => progress.statusLine(elapsedMs, maxWidth),
    process.stderr,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        opts.go,
        // -v names each package as it compiles: the progress shown during the long compile.
        ['install', '-v', ...(opts.ldflags ? ['-ldflags', opts.ldflags] : []), ...opts.packages],
        {
          env: { ...opts.env, GOBIN: opts.binDir, CGO_ENABLED: '0', GOTOOLCHAIN: opts.env.GOTOOLCHAIN ?? 'auto' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderrTail = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        stderrTail = (stderrTail + chunk).slice(-4000);
        display.update(progress.feed(chunk));
      });
      child.on('error', reject);
      // 'close', not 'exit': the last of stderr (the actual error) may arrive after the process exits.
      child.on('close', (code, signal) => {
        progress.end();
        if (code === 0) return resolve();
        // Ctrl-C: the person knows why; a screen of package names would not tell them more.
        if (signal) return reject(new Error(`go install ${what} was stopped by ${signal}`));
        // Without the package names from -v, which would push the compiler's error out of the tail.
        const output = progress.diagnostics || stderrTail;
        reject(new Error(`go install ${what} failed (exit ${code}):\n${output}`));
      });
    });
  } finally {
    display.stop();
  }
  const elapsedMs = Date.now() - started;
  opts.log.info(
    { seconds: Math.round(elapsedMs / 1000), packages: progress.packagesCompiled },
    `${opts.label} built in ${formatElapsed(elapsedMs)}`,
  );
}
