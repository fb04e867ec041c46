/**
 * Condenses the stderr of `go install -v` (thousands of lines over several minutes) into one status
 * line a person can follow: which phase the build is in, how far along, and what it touches now.
 * Pure: the caller feeds it chunks and decides when and where to print.
 */

export type GoBuildPhase = 'starting' | 'downloading' | 'compiling';

const PHASE_ORDER: Record<GoBuildPhase, number> = { starting: 0, downloading: 1, compiling: 2 };

/** `go: downloading github.com/foo/bar v1.2.3`, also for a toolchain: `go: downloading go1.22.0 (linux/amd64)`. */
const DOWNLOADING = /^go: downloading (\S.*)$/;
/** With -v, Go names each package as it compiles it: a bare import path, alone on its line. */
const IMPORT_PATH = /^[\w.~+-]+(?:\/[\w.~+-]+)*$/;

/** Room for the error message on failure: compiler errors come last, so the tail is what matters. */
const DIAGNOSTICS_TAIL_CHARS = 4000;

export class GoBuildProgress {
  phase: GoBuildPhase = 'starting';
  modulesDownloaded = 0;
  packagesCompiled = 0;
  /** The module or package Go reported last. */
  latest: string | undefined;
  private partialLine = '';
  private diagnosticsTail = '';

  constructor(private readonly title: string) {}

  /** Takes a chunk of stderr, lines possibly split across chunks; returns whether the phase moved on. */
  feed(chunk: string): boolean {
    const lines = (this.partialLine + chunk).split('\n');
    this.partialLine = lines.pop() ?? '';
    return this.handleLines(lines);
  }

  /** Takes the last line when it had no newline (the process ended). */
  end(): boolean {
    const last = this.partialLine;
    this.partialLine = '';
    return last ? this.handleLines([last]) : false;
  }

  /** The last stderr lines that are not progress (errors, warnings), for the error message on failure. */
  get diagnostics(): string {
    return this.diagnosticsTail;
  }

  /** e.g. `  building Temporal CLI  1m12s  compiling 412 packages · go.temporal.io/server/service/history` */
  statusLine(elapsedMs: number, maxWidth = Infinity): string {
    const step =
      this.phase === 'downloading'
        ? `downloading ${plural(this.modulesDownloaded, 'module')}`
        : this.phase === 'compiling'
          ? `compiling ${plural(this.packagesCompiled, 'package')}`
          : 'starting';
    const line = `  ${this.title}  ${formatElapsed(elapsedMs)}  ${step}${this.latest ? ` · ${this.latest}` : ''}`;
    return truncate(line, maxWidth);
  }

  private handleLines(lines: string[]): boolean {
    const before = this.phase;
    for (const raw of lines) {
      const line = raw.replace(/\r$/, '');
      const download = DOWNLOADING.exec(line);
      if (download) {
        this.modulesDownloaded++;
        this.latest = download[1];
        this.advanceTo('downloading');
      } else if (IMPORT_PATH.test(line)) {
        this.packagesCompiled++;
        this.latest = line;
        this.advanceTo('compiling');
      } else if (line.trim()) {
        this.diagnosticsTail = `${this.diagnosticsTail}${line}\n`.slice(-DIAGNOSTICS_TAIL_CHARS);
      }
    }
    return this.phase !== before;
  }

  /** Phases only move forward: a late download while compiling is still the compiling phase. */
  private advanceTo(phase: GoBuildPhase): void {
    if (PHASE_ORDER[phase] > PHASE_ORDER[this.phase]) this.phase = phase;
  }
}

/** `12s`, `1m05s`, `4m31s`: seconds padded after a minute, so the ticking line does not jump. */
export function formatElapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function truncate(line: string, maxWidth: number): string {
  return line.length <= maxWidth ? line : `${line.slice(0, Math.max(0, maxWidth - 1))}…`;
}
