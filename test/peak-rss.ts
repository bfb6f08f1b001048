// The peak RSS of a child process, for tests of how much memory a load takes. Read from
// /proc/self/status (VmHWM, the high-water mark of the process's own memory): getrusage's maxRSS
// would carry over the test process's, which a child inherits across fork and exec. Also: whether
// the kernel gives huge pages, for the tests that count page faults.

import fs from 'node:fs';

/** Script text defining `peakMb()` in a child (`import fs from 'node:fs'` must come before it). */
export const PEAK_MB = String.raw`const peakMb = () => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) >> 10;`;

/** Whether the kernel hands out transparent huge pages when asked (madvise or always). */
export const thpOnRequest = (() => {
  try {
    return /\[(always|madvise)\]/.test(fs.readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'));
  } catch {
    return false;
  }
})();
