// A live progress line on a terminal, tqdm's idea without a dependency: done/total, a bar, the
// rate, elapsed time and ETA, redrawn in place (carriage return, clear to end of line) at most 10
// times a second, ending with a final line and a newline. Shared by Parallel (tasks) and
// dump/load (bytes); each owner decides what a terminal that is not a TTY gets instead.

import { InvalidOptionError } from './errors.js';

/** What the bar counts: tasks (`45/100`, `312 tasks/s`) or bytes (`312.4/800.0 MB`, `412.3 MB/s`). */
export type ProgressUnit = 'tasks' | 'bytes';

/** How the work ended, shown on the final line. */
export interface ProgressEnding {
  readonly kind: 'done' | 'failed' | 'aborted' | 'cancelled';
  /** For `failed` and `aborted`: the error that ended the work. */
  readonly error?: unknown;
}

/** One line's worth of state; `renderProgressLine` draws it. */
export interface ProgressFrame {
  readonly label: string;
  readonly unit: ProgressUnit;
  readonly done: number;
  /** Unknown (a lazy input still being read, a step that cannot count): no bar, no ETA. */
  readonly total: number | undefined;
  readonly elapsedMs: number;
  /** A step of the work (`compressing`, `writing`), shown after the label. */
  readonly phase?: string | undefined;
  /** Time in the step so far: its rate and ETA count from its start (the final line, from the work's). */
  readonly phaseElapsedMs?: number | undefined;
  /** Tasks that failed while the work went on (timeouts under `onTimeout: 'continue'`). */
  readonly failures?: number | undefined;
  readonly ending?: ProgressEnding | undefined;
}

/** Redraws per second at most. */
const REDRAW_MS = 100;
const BAR_MIN = 10;
const BAR_MAX = 30;

/** Whether `stream` is a terminal the bar can redraw in place (a TTY that is not `TERM=dumb`). */
export function isLiveTerminal(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && process.env.TERM !== 'dumb';
}

/** Refuses a `progress` option (named `name`) that is not a boolean; undefined means not given. */
export function checkProgressOption(value: unknown, name: string): void {
  if (value === undefined || typeof value === 'boolean') return;
  const shown = typeof value === 'string' ? `'${value}'` : typeof value === 'object' && value !== null ? 'an object' : String(value);
  throw new InvalidOptionError(`${name} must be true or false, got ${shown}.`);
}

/** `1.2s` under a minute, then `1:05`, then `1:02:03`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const whole = Math.round(seconds);
  const [h, m, s] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/** Decimal units, as disks and `pv` count: `800.0 MB`. */
function byteUnit(bytes: number): [number, string] {
  for (const [size, name] of [[1e9, 'GB'], [1e6, 'MB'], [1e3, 'kB']] as const) if (bytes >= size) return [size, name];
  return [1, 'B'];
}

const scaled = (value: number, size: number): string => (size === 1 ? String(value) : (value / size).toFixed(1));

function countOf({ unit, done, total }: ProgressFrame): string {
  if (unit === 'tasks') return `${done}/${total ?? '?'}`;
  const [size, name] = byteUnit(total ?? done);
  return total === undefined ? `${scaled(done, size)} ${name}` : `${scaled(done, size)}/${scaled(total, size)} ${name}`;
}

function rateOf(unit: ProgressUnit, done: number, elapsedMs: number): string | undefined {
  if (elapsedMs <= 0 || done <= 0) return undefined;
  const perSecond = done / (elapsedMs / 1000);
  if (unit === 'bytes') {
    const [size, name] = byteUnit(perSecond);
    return `${scaled(Math.round(perSecond), size)} ${name}/s`;
  }
  if (perSecond >= 100) return `${Math.round(perSecond)} tasks/s`;
  return perSecond >= 1 ? `${perSecond.toFixed(1)} tasks/s` : `${(1 / perSecond).toFixed(1)} s/task`;
}

/** `TypeError: boom` from an error's name and the first line of its message. */
function describeError(error: unknown): string {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    const first = String(message ?? '').split('\n')[0]!;
    return typeof name === 'string' && name !== '' ? `${name}: ${first}` : first;
  }
  return String(error);
}

function endingText(ending: ProgressEnding | undefined): string | undefined {
  if (!ending || ending.kind === 'done') return undefined;
  if (ending.kind === 'cancelled') return 'cancelled';
  return `${ending.kind}: ${describeError(ending.error)}`;
}

/** A piece of the line and how long it stays when the terminal is narrow (higher: longer). */
type Piece = readonly [text: string | undefined, keep: number];

/**
 * The line for `frame`, at most `columns - 1` characters (a line as wide as the terminal would
 * wrap, and a carriage return would then redraw only its last row). When it is narrow the bar
 * shrinks, then goes, then the rate, elapsed time, ETA and percentage, in that order; what is still
 * too long (a long error message) is cut, ending with `…`.
 */
export function renderProgressLine(frame: ProgressFrame, columns: number): string {
  const width = Math.max(columns - 1, 20);
  const { total, done, ending } = frame;
  const finished = ending !== undefined;
  const known = total !== undefined && total > 0;
  const fraction = known ? Math.min(done / total, 1) : 0;
  const counting = finished ? frame.elapsedMs : frame.phaseElapsedMs ?? frame.elapsedMs;
  const left = known && !finished && done > 0 && done < total ? (counting / 1000) * ((total - done) / done) : undefined;
  const head: Piece[] = [[frame.label, 9], [finished ? undefined : frame.phase, 9], [countOf(frame), 9]];
  let tail: Piece[] = [
    [known ? `${Math.floor(fraction * 100)}%` : undefined, 4],
    // A step that cannot count has no rate of its own.
    [frame.phase && total === undefined && !finished ? undefined : rateOf(frame.unit, done, counting), 1],
    [`elapsed ${formatDuration(frame.elapsedMs / 1000)}`, 2],
    [left === undefined ? undefined : `ETA ${formatDuration(left)}`, 3],
    [frame.failures ? `${frame.failures} failed` : undefined, 5],
    [endingText(ending), 9],
  ];
  const join = (pieces: readonly Piece[]): string => pieces.map(([text]) => text).filter((text) => text).join('  ');
  for (;;) {
    const line = join([...head, ...tail]);
    const room = width - line.length - 3;
    if (known && room >= BAR_MIN) {
      const size = Math.min(room, BAR_MAX);
      const filled = Math.round(fraction * size);
      const bar = `[${'='.repeat(filled)}${filled < size ? '>' : ''}${' '.repeat(Math.max(size - filled - 1, 0))}]`;
      return `${join(head)} ${bar} ${join(tail)}`;
    }
    if (line.length <= width) return line;
    // Drop the piece kept least (the last of equals); only what must stay is left: cut it.
    const shown = tail.filter(([text]) => text);
    const least = Math.min(...shown.map(([, keep]) => keep));
    if (least >= 9) return `${line.slice(0, width - 1)}…`;
    const drop = shown.findLast(([, keep]) => keep === least)!;
    tail = tail.filter((piece) => piece !== drop);
  }
}

/** Bars drawn and not yet ended: at exit, their line is ended so the shell prompt starts on its own. */
const open = new Set<ProgressBar>();
const endOpenLines = (): void => {
  for (const bar of open) bar.abandon();
};

/** How a bar shows itself. */
export interface ProgressBarOptions {
  readonly label: string;
  readonly unit: ProgressUnit;
  /** Redraw in place on `stream`; otherwise only the final line is written (when shown). */
  readonly live: boolean;
  readonly stream?: NodeJS.WriteStream;
  /** Show only work that lasts this long (ms)... */
  readonly showAfterMs?: number;
  /** ...or whose total reaches this; with neither, the bar shows from the start. */
  readonly showFromTotal?: number;
}

/**
 * A progress line. `update` only records the numbers (and redraws when the last drawing is
 * older than 100 ms, for work that blocks the event loop); an unref'd timer redraws while the
 * numbers stand still. `end` writes the final line and stops the timer; it is idempotent.
 */
export class ProgressBar {
  private done = 0;
  private total: number | undefined;
  private phase: string | undefined;
  private phaseStarted = 0;
  private failures = 0;
  private shown: boolean;
  private drawn = false;
  private ended = false;
  private nextDraw: number;
  private readonly started = performance.now();
  private readonly stream: NodeJS.WriteStream;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ProgressBarOptions) {
    this.stream = options.stream ?? process.stderr;
    this.shown = options.showAfterMs === undefined && options.showFromTotal === undefined;
    this.nextDraw = this.started + REDRAW_MS;
    if (!options.live) return;
    // A drawing that `update` made since the last tick counts: never two within REDRAW_MS (less
    // the timer's own jitter).
    this.timer = setInterval(() => {
      if (performance.now() >= this.nextDraw - 10) this.tick();
    }, REDRAW_MS);
    this.timer.unref();
  }

  /** `done` so far; `total` once known (it stays known). */
  update(done: number, total?: number): void {
    this.done = done;
    if (total !== undefined) this.total = total;
    if (this.options.live && performance.now() >= this.nextDraw) this.tick();
  }

  /** A new step, from `done` of `total` (unknown: a step that cannot count shows `done` as it stands). */
  setPhase(phase: string, done: number, total?: number): void {
    this.phase = phase;
    this.phaseStarted = performance.now();
    this.done = done;
    this.total = total;
    if (this.options.live) this.tick();
  }

  countFailure(): void {
    this.failures += 1;
  }

  /** Writes `line` (with its newline) above the bar, which is redrawn under it. */
  note(line: string): void {
    if (!this.drawn || this.ended) {
      this.stream.write(`${line}\n`);
      return;
    }
    this.stream.write(`\r\x1b[K${line}\n`);
    this.draw();
  }

  /** Clears the bar's line, so that another stream can write there; the next tick redraws it. */
  clear(): void {
    if (this.drawn && !this.ended) this.stream.write('\r\x1b[K');
  }

  /** The final line and its newline (if the bar was shown), then nothing more. */
  end(ending: ProgressEnding): void {
    if (this.ended) return;
    clearInterval(this.timer);
    this.checkShown();
    this.ended = true;
    open.delete(this);
    if (open.size === 0) process.removeListener('exit', endOpenLines);
    if (!this.shown) return;
    // A log line (not a terminal) is not cut to a width.
    const line = renderProgressLine(this.frame(ending), this.options.live ? this.stream.columns || 80 : 1000);
    this.stream.write(this.options.live ? `\r${line}\x1b[K\n` : `${line}\n`);
  }

  /** The process is exiting with the bar drawn: end its line, nothing more. */
  abandon(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    if (this.drawn) this.stream.write('\n');
  }

  private frame(ending?: ProgressEnding): ProgressFrame {
    const now = performance.now();
    return {
      label: this.options.label, unit: this.options.unit, done: this.done, total: this.total,
      elapsedMs: now - this.started, phase: this.phase,
      phaseElapsedMs: this.phase === undefined ? undefined : now - this.phaseStarted, failures: this.failures, ending,
    };
  }

  private checkShown(): void {
    if (this.shown) return;
    const { showAfterMs, showFromTotal } = this.options;
    // A step that cannot count shows its size as `done`.
    this.shown = (showFromTotal !== undefined && (this.total ?? this.done) >= showFromTotal) ||
      (showAfterMs !== undefined && performance.now() - this.started >= showAfterMs);
  }

  private tick(): void {
    if (this.ended) return;
    this.checkShown();
    if (this.shown) this.draw();
  }

  private draw(): void {
    if (!this.drawn) {
      this.drawn = true;
      if (open.size === 0) process.on('exit', endOpenLines);
      open.add(this);
    }
    this.nextDraw = performance.now() + REDRAW_MS;
    this.stream.write(`\r${renderProgressLine(this.frame(), this.stream.columns || 80)}\x1b[K`);
  }
}
