// A real terminal for tests of what users see: a script runs in a tmux pane of a given size (its
// own tmux server, so tests never meet each other or a user's sessions), and the test reads the
// screen as the terminal drew it, or records it while the script runs.

import { execFileSync, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether tmux is installed (CI installs it; see .ci/run). */
export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

export interface TerminalRun {
  /** The screen once the script ended: its rows, trailing blanks trimmed, empty rows at the end dropped. */
  readonly screen: string[];
  /** Screens captured while the script ran (about every 50 ms), each joined by newlines. */
  readonly frames: string[];
  /** The script's exit status. */
  readonly status: number;
}

export interface TerminalOptions {
  readonly columns?: number;
  readonly rows?: number;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

let servers = 0;

/**
 * Runs `node args...` in a fresh tmux pane and returns its screens. After the script, the pane
 * prints `EXIT=<status>` from the shell: a progress line left without its newline would put it
 * on the same row, which the tests check.
 */
export async function runInTerminal(args: readonly string[], options: TerminalOptions = {}): Promise<TerminalRun> {
  const socket = `joblib-ts-test-${process.pid}-${servers++}`;
  const tmux = (...rest: string[]): string =>
    execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...rest], { encoding: 'utf8', env: tmuxEnv(options) });
  const quoted = [process.execPath, ...args].map((arg) => `'${arg.replaceAll('\'', '\'\\\'\'')}'`).join(' ');
  const { columns = 100, rows = 20, timeoutMs = 20_000 } = options;
  tmux('new-session', '-d', '-x', String(columns), '-y', String(rows), '-c', options.cwd ?? process.cwd(),
    `${quoted}; echo "EXIT=$?"; sleep 600`);
  const capture = (): string[] => tmux('capture-pane', '-p').split('\n').map((line) => line.trimEnd());
  const frames: string[] = [];
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = capture();
      frames.push(screen.join('\n'));
      const exit = screen.find((line) => /EXIT=\d+$/.test(line));
      if (exit) {
        while (screen.length > 0 && screen.at(-1) === '') screen.pop();
        return { screen, frames, status: Number(/EXIT=(\d+)$/.exec(exit)![1]) };
      }
      if (Date.now() > deadline) throw new Error(`The script did not end within ${timeoutMs} ms; its screen:\n${screen.join('\n')}`);
      await sleep(50);
    }
  } finally {
    tmux('kill-server');
  }
}

/** The environment of the pane: this one's, without tmux's own variables (no nesting), plus `env`. */
function tmuxEnv(options: TerminalOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, TERM: 'xterm-256color' };
  delete env.TMUX;
  delete env.TMUX_PANE;
  return env;
}
