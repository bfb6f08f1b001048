import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Test files mostly wait on child processes, Redis and the disk: one file more than there
    // are CPUs keeps them busy. On this 2-core VM Vitest's default ran one file at a time
    // (273 s for the suite); three at once took 149 s.
    maxWorkers: Math.max(3, os.availableParallelism() + 1),
  },
});
