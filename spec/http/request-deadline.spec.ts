// startDeadline: the request timeout, deadlines of one length sharing one timer. On Jest's fake timers (which
// also fake performance.now and queueMicrotask), except for the two checks that need the real clock.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { startDeadline } from '../../lib/http/request-deadline.js';

// Deadlines of one length share a list for the life of the module: each test takes lengths of its own.
let nextLength = 1000;
const freshLength = (): number => (nextLength += 7);

describe('startDeadline', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('calls onLate once its time is up, and not before', () => {
    const ms = freshLength();
    const late = jest.fn();
    startDeadline(ms, late);
    jest.advanceTimersByTime(ms - 1);
    expect(late).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(late).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(10 * ms);
    expect(late).toHaveBeenCalledTimes(1);
  });

  it('never calls a cancelled one; the others end on time, each at its own', () => {
    const ms = freshLength();
    const ended: [string, number][] = [];
    const start = Date.now();
    const deadline = (name: string) => startDeadline(ms, () => ended.push([name, Date.now() - start]));
    const first = deadline('first');
    jest.advanceTimersByTime(300);
    deadline('second');
    jest.advanceTimersByTime(300);
    const third = deadline('third');
    deadline('fourth');
    first.cancel(); // the shared timer was set for this one
    first.cancel();
    third.cancel();
    jest.advanceTimersByTime(2 * ms);
    expect(ended).toEqual([
      ['second', 300 + ms],
      ['fourth', 600 + ms],
    ]);
  });

  it('starts again after every deadline ended', () => {
    const ms = freshLength();
    const late = jest.fn();
    startDeadline(ms, late).cancel();
    jest.advanceTimersByTime(2 * ms);
    startDeadline(ms, late);
    jest.advanceTimersByTime(ms);
    expect(late).toHaveBeenCalledTimes(1);
  });

  it('still ends the other deadlines when one onLate throws, and lets the error surface', () => {
    const ms = freshLength();
    const after = jest.fn();
    startDeadline(ms, () => {
      throw new Error('boom');
    });
    startDeadline(ms, after);
    // The fake clock runs the queued microtask within the tick: the error comes out there.
    expect(() => jest.advanceTimersByTime(ms)).toThrow('boom');
    expect(after).toHaveBeenCalledTimes(1);
  });
});

describe('startDeadline on the real clock', () => {
  it('sets its timer again when the one it had was made by fake timers since removed', async () => {
    const ms = 23; // real milliseconds, and a length no other test takes
    jest.useFakeTimers();
    const stale = startDeadline(ms, () => undefined); // its timer is a fake one, never to fire
    jest.useRealTimers();
    stale.cancel();
    await new Promise<void>((done) => startDeadline(ms, done)); // bounded by the test's timeout
  });

  it('does not keep Node running', () => {
    // dist/ is built by `npm test` before jest runs.
    const clock = resolve(__dirname, '../../dist/cjs/http/request-deadline.js');
    const started = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(clock)}).startDeadline(60000, () => process.exit(3))`], { timeout: 15_000 });
    expect(started.error).toBeUndefined();
    expect(started.status).toBe(0);
  });
});
