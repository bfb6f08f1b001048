import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../src/errors.js';
import { refuseUnknownOptions } from '../src/unknown-options.js';

const KNOWN = new Set(['nJobs', 'backend', 'timeout', 'verbose']);

describe('refuseUnknownOptions', () => {
  it('accepts known options and no options at all', () => {
    expect(() => refuseUnknownOptions({ nJobs: 2, verbose: 1 }, KNOWN, 'Parallel')).not.toThrow();
    expect(() => refuseUnknownOptions(undefined, KNOWN, 'Parallel')).not.toThrow();
  });

  it('names the nearest valid option for a typo', () => {
    expect(() => refuseUnknownOptions({ nJob: 2 }, KNOWN, 'Parallel'))
      .toThrow(new InvalidOptionError('\'nJob\' is not an option of Parallel; did you mean \'nJobs\'?'));
    expect(() => refuseUnknownOptions({ n_jobs: 2 }, KNOWN, 'Parallel')).toThrow(/did you mean 'nJobs'/);
    expect(() => refuseUnknownOptions({ Timeout: 5 }, KNOWN, 'Parallel')).toThrow(/did you mean 'timeout'/);
  });

  it('lists the options when nothing is close', () => {
    expect(() => refuseUnknownOptions({ mmapMode: 'r' }, KNOWN, 'Memory'))
      .toThrow('\'mmapMode\' is not an option of Memory; its options are \'nJobs\', \'backend\', \'timeout\', \'verbose\'.');
  });

  it('refuses options that are not an object', () => {
    expect(() => refuseUnknownOptions(3 as unknown as object, KNOWN, 'Parallel')).toThrow(InvalidOptionError);
  });
});
