import { RUN_STATUSES, isRunStatus, isTerminalStatus } from '../lib/index.js';

describe('RunStatus helpers', () => {
  it('lists the seven statuses', () => {
    expect(RUN_STATUSES).toEqual(['pending', 'running', 'suspended', 'canceling', 'succeeded', 'failed', 'canceled']);
    expect(Object.isFrozen(RUN_STATUSES)).toBe(true);
  });

  it('recognises exactly the seven words', () => {
    for (const status of RUN_STATUSES) expect(isRunStatus(status)).toBe(true);
    for (const other of ['RUNNING', 'cancelled', 'in progress', '', undefined, 1]) expect(isRunStatus(other)).toBe(false);
  });

  it('calls succeeded, failed and canceled terminal, and nothing else', () => {
    expect(RUN_STATUSES.filter(isTerminalStatus)).toEqual(['succeeded', 'failed', 'canceled']);
  });
});
