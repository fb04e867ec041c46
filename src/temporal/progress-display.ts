/** Where status goes: process.stderr, so stdout stays for the banner and the logs. */
export interface StatusStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressDisplay {
  /** Call after new input; a phase change prints a line at once when not on a terminal. */
  update(phaseChanged: boolean): void;
  /** Stops the timer and clears the status line on a terminal, so the next output starts clean. */
  stop(): void;
}

export interface ProgressDisplayOptions {
  /** Off a terminal (CI, pipes): at most one line this often, besides phase changes. */
  plainIntervalMs?: number;
  now?: () => number;
}

const REDRAW_MS = 250;
const CLEAR_LINE = '\r\x1b[2K';

/**
 * Shows a long task's status: on a terminal, one line redrawn in place; elsewhere, plain lines
 * (redrawing with \r would pile up in a CI log).
 */
export function startProgressDisplay(
  render: (elapsedMs: number, maxWidth: number) => string,
  out: StatusStream,
  opts: ProgressDisplayOptions = {},
): ProgressDisplay {
  const now = opts.now ?? Date.now;
  const plainIntervalMs = opts.plainIntervalMs ?? 15_000;
  const started = now();

  if (out.isTTY) {
    let drawn: string | undefined;
    const draw = () => {
      // One column short: a full-width line wraps on some terminals, and \r then redraws the wrong row.
      // (columns is 0 when the terminal reports no size.)
      const line = render(now() - started, Math.max(20, (out.columns || 80) - 1));
      if (line === drawn) return;
      out.write(`${CLEAR_LINE}${line}`);
      drawn = line;
    };
    const timer = setInterval(draw, REDRAW_MS);
    timer.unref();
    return {
      update: (phaseChanged) => {
        if (phaseChanged) draw();
      },
      stop: () => {
        clearInterval(timer);
        if (drawn !== undefined) out.write(CLEAR_LINE);
      },
    };
  }

  let lastPrinted = started;
  const print = () => {
    lastPrinted = now();
    out.write(`${render(lastPrinted - started, Infinity)}\n`);
  };
  const timer = setInterval(() => {
    if (now() - lastPrinted >= plainIntervalMs) print();
  }, 1000);
  timer.unref();
  return {
    update: (phaseChanged) => {
      if (phaseChanged) print();
    },
    stop: () => clearInterval(timer),
  };
}
