// The peak RSS of a child process, for tests of how much memory a load takes. Read from
// /proc/self/status (VmHWM, the high-water mark of the process's own memory): getrusage's maxRSS
// would carry over the test process's, which a child inherits across fork and exec.

/** Script text defining `peakMb()` in a child (`import fs from 'node:fs'` must come before it). */
export const PEAK_MB = String.raw`const peakMb = () => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) >> 10;`;
