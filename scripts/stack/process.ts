/** One process of the stack: spawned with its own log file, killed and started again by the drills. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { StackProcess } from './types';

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  logDir: string;
  /** Echo the output to this process's stderr too, prefixed with the name. */
  echo: boolean;
  /** Resolves once the process serves (port open, log line seen); rejects on timeout. */
  ready: (output: () => string, alive: () => boolean) => Promise<void>;
  /** Bound for `ready`; the error names the log file. */
  readyTimeoutMs: number;
}

export class ManagedProcess implements StackProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private tail = '';
  private log: WriteStream | undefined;

  constructor(private readonly opts: ManagedProcessOptions) {}

  get name(): string {
    return this.opts.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get logFile(): string {
    return path.join(this.opts.logDir, `${this.opts.name}.log`);
  }

  async start(): Promise<void> {
    if (this.running) return;
    mkdirSync(this.opts.logDir, { recursive: true });
    this.log ??= createWriteStream(this.logFile, { flags: 'a' });
    this.tail = '';
    const child = spawn(this.opts.command, this.opts.args, {
      cwd: this.opts.cwd,
      env: this.opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let exitInfo = '';
    this.exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        exitInfo = signal ? `killed by ${signal}` : `exited with ${code}`;
        resolve();
      }),
    );
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      // Enough to find a readiness line; the whole output is in the log file.
      this.tail = (this.tail + text).slice(-64_000);
      this.log?.write(text);
      if (this.opts.echo) process.stderr.write(text.replace(/^(?=.)/gm, `[${this.opts.name}] `));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const failed = this.exited.then(() => {
      throw new Error(`${this.opts.name} ${exitInfo} before it was ready; see ${this.logFile}`);
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`${this.opts.name} not ready after ${this.opts.readyTimeoutMs} ms; see ${this.logFile}`)),
        this.opts.readyTimeoutMs,
      );
    });
    try {
      let waiting = true;
      const alive = () => waiting && this.child === child && this.running;
      await Promise.race([
        this.opts.ready(() => this.tail, alive).finally(() => (waiting = false)),
        failed.finally(() => (waiting = false)),
        timedOut.finally(() => (waiting = false)),
      ]);
    } finally {
      clearTimeout(timer);
      failed.catch(() => undefined);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.child!.kill(signal);
    await this.exited;
  }

  /** Stops gracefully, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  closeLog(): void {
    this.log?.end();
    this.log = undefined;
  }
}

/** Polls `check` until it resolves true, while `alive()` (the process is still worth waiting for). */
export async function until(
  check: () => Promise<boolean> | boolean,
  alive: () => boolean = () => true,
  intervalMs = 200,
): Promise<void> {
  while (alive()) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
