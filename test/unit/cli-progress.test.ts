import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatElapsed, GoBuildProgress } from '../../src/temporal/build-progress';
import { startProgressDisplay, type StatusStream } from '../../src/temporal/progress-display';

// What `go install -v github.com/temporalio/cli/cmd/temporal@v1.5.1` writes to stderr, abridged.
const DOWNLOADS = [
  'go: downloading github.com/temporalio/cli v1.5.1',
  'go: downloading go.temporal.io/server v1.29.0',
  'go: downloading go.temporal.io/api v1.53.0',
  'go: downloading google.golang.org/grpc v1.72.2',
];
const PACKAGES = [
  'internal/goarch',
  'math/bits',
  'runtime',
  'google.golang.org/grpc/internal/transport',
  'go.temporal.io/server/service/history',
  'github.com/temporalio/cli/cmd/temporal',
];

function feedAll(progress: GoBuildProgress, lines: string[]): void {
  for (const line of lines) progress.feed(`${line}\n`);
}

describe('GoBuildProgress', () => {
  it('counts module downloads and names the latest', () => {
    const progress = new GoBuildProgress('building Temporal CLI');
    feedAll(progress, DOWNLOADS);
    expect(progress.phase).toBe('downloading');
    expect(progress.modulesDownloaded).toBe(4);
    expect(progress.statusLine(34_000)).toBe(
      '  building Temporal CLI  34s  downloading 4 modules · google.golang.org/grpc v1.72.2',
    );
  });

  it('moves to compiling at the first package path and counts packages', () => {
    const progress = new GoBuildProgress('building Temporal CLI');
    feedAll(progress, DOWNLOADS);
    expect(progress.feed(`${PACKAGES[0]}\n`)).toBe(true);
    expect(progress.feed(PACKAGES.slice(1, 5).join('\n') + '\n')).toBe(false);
    expect(progress.phase).toBe('compiling');
    expect(progress.packagesCompiled).toBe(5);
    expect(progress.statusLine(72_000)).toBe(
      '  building Temporal CLI  1m12s  compiling 5 packages · go.temporal.io/server/service/history',
    );
  });

  it('reassembles lines split across chunks', () => {
    const progress = new GoBuildProgress('building Temporal CLI');
    const stderr = [...DOWNLOADS, ...PACKAGES].join('\n') + '\n';
    // Chunk sizes that split words, paths and the "go: downloading" prefix itself.
    for (let i = 0; i < stderr.length; i += 7) progress.feed(stderr.slice(i, i + 7));
    expect(progress.modulesDownloaded).toBe(DOWNLOADS.length);
    expect(progress.packagesCompiled).toBe(PACKAGES.length);
    expect(progress.latest).toBe('github.com/temporalio/cli/cmd/temporal');
    expect(progress.diagnostics).toBe('');
  });

  it('holds a partial line until its newline, or until end()', () => {
    const progress = new GoBuildProgress('building Temporal CLI');
    progress.feed('go.temporal.io/ser');
    expect(progress.packagesCompiled).toBe(0);
    progress.feed('ver/common\ngo.temporal.io/server/temporal');
    expect(progress.packagesCompiled).toBe(1);
    expect(progress.latest).toBe('go.temporal.io/server/common');
    progress.end();
    expect(progress.packagesCompiled).toBe(2);
    expect(progress.latest).toBe('go.temporal.io/server/temporal');
  });

  it('keeps the phase moving forward: a late download does not go back to downloading', () => {
    const progress = new GoBuildProgress('building Temporal CLI');
    feedAll(progress, ['runtime', 'go: downloading golang.org/x/sys v0.33.0']);
    expect(progress.phase).toBe('compiling');
    expect(progress.modulesDownloaded).toBe(1);
  });

  it('keeps compiler errors, not package names, for the error message', () => {
    const progress = new GoBuildProgress('building Temporal CLI');
    feedAll(progress, [
      ...PACKAGES,
      '# go.temporal.io/server/common/log',
      '../../go/pkg/mod/go.temporal.io/server@v1.29.0/common/log/zap_logger.go:12:2: undefined: zapcore.Foo',
      'go: error loading module requirements\r',
    ]);
    expect(progress.diagnostics).toBe(
      '# go.temporal.io/server/common/log\n' +
        '../../go/pkg/mod/go.temporal.io/server@v1.29.0/common/log/zap_logger.go:12:2: undefined: zapcore.Foo\n' +
        'go: error loading module requirements\n',
    );
  });

  it('bounds the kept diagnostics to the last 4000 characters', () => {
    const progress = new GoBuildProgress('building Temporal CLI');
    for (let i = 0; i < 500; i++) progress.feed(`warning: line ${i} of something long\n`);
    expect(progress.diagnostics.length).toBeLessThanOrEqual(4000);
    expect(progress.diagnostics.endsWith('warning: line 499 of something long\n')).toBe(true);
  });

  it('says it is starting before Go reports anything', () => {
    expect(new GoBuildProgress('building Temporal CLI').statusLine(2_400)).toBe(
      '  building Temporal CLI  2s  starting',
    );
  });

  it('fits the status line to the terminal width', () => {
    const progress = new GoBuildProgress('building Temporal CLI');
    feedAll(progress, PACKAGES.slice(0, 5));
    const line = progress.statusLine(72_000, 60);
    expect(line).toHaveLength(60);
    expect(line.endsWith('…')).toBe(true);
  });

  it('formats elapsed time as a person reads it', () => {
    expect(formatElapsed(0)).toBe('0s');
    expect(formatElapsed(59_999)).toBe('59s');
    expect(formatElapsed(65_000)).toBe('1m05s');
    expect(formatElapsed(271_000)).toBe('4m31s');
  });
});

describe('startProgressDisplay', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function fakeStream(isTTY: boolean): StatusStream & { output: string[] } {
    const output: string[] = [];
    return { isTTY, columns: 100, output, write: (text: string) => output.push(text) };
  }

  it('on a terminal, redraws one line in place and clears it when stopped', () => {
    vi.useFakeTimers();
    const out = fakeStream(true);
    let step = 'starting';
    const display = startProgressDisplay((elapsed, width) => `${step} ${elapsed} ${width}`, out);
    vi.advanceTimersByTime(250);
    step = 'compiling';
    vi.advanceTimersByTime(250);
    display.stop();
    expect(out.output).toEqual(['\r\x1b[2Kstarting 250 99', '\r\x1b[2Kcompiling 500 99', '\r\x1b[2K']);
    expect(out.output.join('')).not.toContain('\n');
  });

  it('elsewhere, prints a plain line at each phase change and at most one per interval otherwise', () => {
    vi.useFakeTimers();
    const out = fakeStream(false);
    const display = startProgressDisplay((elapsed) => `status at ${elapsed / 1000}s`, out, {
      plainIntervalMs: 15_000,
    });
    vi.advanceTimersByTime(14_000);
    expect(out.output).toEqual([]);
    display.update(true); // downloading
    vi.advanceTimersByTime(20_000);
    display.update(false);
    vi.advanceTimersByTime(15_000);
    display.stop();
    vi.advanceTimersByTime(60_000);
    expect(out.output).toEqual(['status at 14s\n', 'status at 29s\n', 'status at 44s\n']);
  });
});
