import { withInterval } from '../../lib/index.js';
import { expectGaveUpWith, runSteps, unavailable } from '../helpers/loops.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler } from '../helpers/sources.js';

const running = reading.running();
const done = reading.succeeded('ok');

describe('withInterval', () => {
  it('waits the same delay after every reading, without jitter', () => {
    const out = runSteps(newTestScheduler(), [running, running, running, done], (scheduler) => withInterval(500, { scheduler }));
    expect(out.delays).toEqual([500, 500, 500]);
    expect(out.completed).toBe(true);
  });

  it('retries a retryable error after the same interval, stretched by its Retry-After', () => {
    const out = runSteps(newTestScheduler(), [unavailable(), unavailable(2000), done], (scheduler) => withInterval(500, { scheduler }));
    expect(out.delays).toEqual([500, 2000]);
    expect(out.completed).toBe(true);
  });

  it('raises after maxConsecutiveErrors retried failures', () => {
    const errors = [unavailable(), unavailable()];
    const out = runSteps(newTestScheduler(), [...errors, done], (scheduler) => withInterval(10, { maxConsecutiveErrors: 1, scheduler }));
    expectGaveUpWith(out.error, errors[1]!, 2);
    expect(out.reads).toBe(2);
  });

  it('delays the first request by firstPollDelayMs', () => {
    const out = runSteps(newTestScheduler(), [running, done], (scheduler) => withInterval(100, { firstPollDelayMs: 2500, scheduler }));
    expect(out.delays).toEqual([2500, 100]);
  });

  it.each([
    [undefined, undefined, 'withInterval: the interval "ms" is required, e.g. withInterval(1000) to ask every second.'],
    [-5, undefined, 'withInterval: option "ms" must be a number of at least 0, but was -5.'],
    [Infinity, undefined, 'withInterval: option "ms" must be a number of at least 0, but was Infinity.'],
    [100, { jitter: 0.1 }, 'withInterval: unknown option "jitter"; the options are firstPollDelayMs, maxConsecutiveErrors, isRetryable, maxRetryAfterMs, maxWaitMs, startAtWait, scheduler.'],
  ])('throws a TypeError for ms %p and options %p', (ms, options, message) => {
    expect(() => withInterval(ms as never, options as never)).toThrow(new TypeError(message));
  });
});
