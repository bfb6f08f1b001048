// How a pool worker starts, for processes and threads alike: the entry module, and the Node
// options it inherits from the parent.

import { fileURLToPath } from 'node:url';

/** The worker's entry module (a process's main script, or a thread's). */
export const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));

/** Node options that belong to the parent's own command line, not to a worker's. */
const PARENT_ONLY_FLAGS = /^--(inspect|debug|test|watch|eval|print|input-type|check|interactive|prof)\b|^-[epci]$/;
const FLAGS_WITH_VALUE = new Set(['-e', '--eval', '-p', '--print', '--input-type']);

/** The parent's `execArgv` minus what would make a worker evaluate, debug or watch: loaders stay. */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i += 1) {
    const arg = execArgv[i]!;
    if (PARENT_ONLY_FLAGS.test(arg)) {
      if (FLAGS_WITH_VALUE.has(arg)) i += 1;
      continue;
    }
    kept.push(arg);
  }
  return kept;
}
