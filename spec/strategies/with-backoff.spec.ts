import { NEVER } from 'rxjs';
import { DecodeError, TaskTimeoutError, TransportError, pollTask$, withBackoff } from '../../lib/index.js';
import { expectGaveUpWith, runSteps, unavailable } from '../helpers/loops.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler, scriptedSource } from '../helpers/sources.js';

const running = reading.running();
const done = reading.succeeded('ok');
const steady = () => 0.5; // a random source that puts every delay at the middle of its jitter range

describe('withBackoff', () => {
  describe('schedule', () => {
    it('grows each delay by the factor up to maxDelayMs', () => {
      const steps = [running, running, running, running, running, done];
      const out = runSteps(newTestScheduler(), steps, (scheduler) =>
        withBackoff({ initialDelayMs: 1000, factor: 2, maxDelayMs: 5000, jitter: 0, scheduler }),
      );
      expect(out.delays).toEqual([1000, 2000, 4000, 5000, 5000]);
      expect(out.completed).toBe(true);
      expect(out.reads).toBe(6);
    });

    it('starts from 1 s growing by half up to 30 s by default', () => {
      const steps = [...Array(11).fill(running), done];
      const out = runSteps(newTestScheduler(), steps, (scheduler) => withBackoff({ scheduler, random: steady }));
      expect(out.delays).toEqual([1000, 1500, 2250, 3375, 5062.5, 7593.75, 11390.625, 17085.9375, 25628.90625, 30000, 30000]);
    });

    it('spreads each delay by ±jitter and never above maxDelayMs', () => {
      const low = runSteps(newTestScheduler(), [running, running, done], (scheduler) =>
        withBackoff({ initialDelayMs: 1000, factor: 1, maxDelayMs: 1000, jitter: 0.2, random: () => 0, scheduler }),
      );
      expect(low.delays).toEqual([800, 800]);
      const high = runSteps(newTestScheduler(), [running, running, done], (scheduler) =>
        withBackoff({ initialDelayMs: 1000, factor: 1, maxDelayMs: 1100, jitter: 0.2, random: () => 0.999999, scheduler }),
      );
      expect(high.delays).toEqual([1100, 1100]);
    });

    it('spreads upward only with a jitter range, as Affinity\'s SDK does', () => {
      const out = runSteps(newTestScheduler(), [running, running, running, done], (scheduler) =>
        withBackoff({ initialDelayMs: 2000, factor: 1.5, maxDelayMs: 30_000, jitter: { min: 0, max: 0.1 }, random: () => 0.5, scheduler }),
      );
      expect(out.delays).toEqual([2100, 3150, 4725]);
    });

    it('starts from a later delay with startAtWait, as a resumed wait does', () => {
      const out = runSteps(newTestScheduler(), [running, running, done], (scheduler) =>
        withBackoff({ initialDelayMs: 1000, factor: 2, maxDelayMs: 60_000, jitter: 0, startAtWait: 4, scheduler }),
      );
      expect(out.delays).toEqual([8000, 16000]);
    });

    it('keeps no state between subscriptions: each starts from the first delay', () => {
      const strategyOf = withBackoff({ initialDelayMs: 100, factor: 3, jitter: 0 });
      const first = runSteps(newTestScheduler(), [running, running, done], () => strategyOf);
      const second = runSteps(newTestScheduler(), [running, running, done], () => strategyOf);
      expect(first.reads).toBe(3);
      expect(second.reads).toBe(3);
    });

    it('counts delays per subscription when the same strategy serves two tasks', () => {
      const scheduler = newTestScheduler();
      const out1 = runSteps(scheduler, [running, running, done], (timers) => withBackoff({ initialDelayMs: 10, factor: 2, jitter: 0, scheduler: timers }));
      const out2 = runSteps(newTestScheduler(), [running, running, done], (timers) => withBackoff({ initialDelayMs: 10, factor: 2, jitter: 0, scheduler: timers }));
      expect(out1.delays).toEqual([10, 20]);
      expect(out2.delays).toEqual([10, 20]);
    });
  });

  describe('server hints', () => {
    it('waits max(Retry-After, delay) after a reading that carries a hint, then resumes the schedule', () => {
      const steps = [reading.running(undefined, { retryAfterMs: 7000 }), reading.running(undefined, { retryAfterMs: 10 }), running, done];
      const out = runSteps(newTestScheduler(), steps, (scheduler) => withBackoff({ jitter: 0, scheduler }));
      expect(out.delays).toEqual([7000, 1500, 2250]);
    });

    it('caps a hint at maxRetryAfterMs', () => {
      const steps = [reading.running(undefined, { retryAfterMs: 3_600_000 }), done];
      expect(runSteps(newTestScheduler(), steps, (scheduler) => withBackoff({ jitter: 0, scheduler })).delays).toEqual([300_000]);
      expect(
        runSteps(newTestScheduler(), steps, (scheduler) => withBackoff({ jitter: 0, maxRetryAfterMs: 60_000, scheduler })).delays,
      ).toEqual([60_000]);
    });

    it('ignores a hint that is not a usable number of milliseconds', () => {
      const steps = [reading.running(undefined, { retryAfterMs: -5 }), reading.running(undefined, { retryAfterMs: Number.NaN }), done];
      expect(runSteps(newTestScheduler(), steps, (scheduler) => withBackoff({ jitter: 0, scheduler })).delays).toEqual([1000, 1500]);
    });
  });

  describe('errors', () => {
    it('retries a retryable error on the same schedule, honouring its Retry-After', () => {
      const steps = [unavailable(4000), running, unavailable(), done];
      const out = runSteps(newTestScheduler(), steps, (scheduler) => withBackoff({ jitter: 0, scheduler }));
      expect(out.delays).toEqual([4000, 1500, 2250]);
      expect(out.completed).toBe(true);
      expect(out.reads).toBe(4);
    });

    it('raises the error after maxConsecutiveErrors retried failures in a row', () => {
      const errors = [unavailable(), unavailable(), unavailable()];
      const out = runSteps(newTestScheduler(), [...errors, done], (scheduler) =>
        withBackoff({ maxConsecutiveErrors: 2, jitter: 0, scheduler }),
      );
      expect(out.reads).toBe(3);
      expectGaveUpWith(out.error, errors[2]!, 3);
      expect(out.delays).toEqual([1000, 1500]);
      expect(out.pending).toBe(0);
    });

    it('counts only consecutive errors: a good reading starts the count again', () => {
      const steps = [unavailable(), unavailable(), running, unavailable(), unavailable(), running, done];
      const out = runSteps(newTestScheduler(), steps, (scheduler) => withBackoff({ maxConsecutiveErrors: 2, jitter: 0, scheduler }));
      expect(out.completed).toBe(true);
      expect(out.reads).toBe(7);
    });

    it('retries five failures in a row by default and raises the sixth', () => {
      const errors = Array.from({ length: 6 }, () => unavailable());
      const out = runSteps(newTestScheduler(), [...errors, done], (scheduler) => withBackoff({ jitter: 0, scheduler }));
      expect(out.reads).toBe(6);
      expectGaveUpWith(out.error, errors[5]!, 6);
    });

    it('raises the first error with maxConsecutiveErrors: 0', () => {
      const error = unavailable();
      const out = runSteps(newTestScheduler(), [error, done], (scheduler) => withBackoff({ maxConsecutiveErrors: 0, scheduler }));
      expect(out.reads).toBe(1);
      expectGaveUpWith(out.error, error, 1);
    });

    it.each([
      ['a 404', new TransportError('The task was not found.', { status: 404, retryable: false })],
      ['a decode error', new DecodeError('The body is not JSON.', ['<html>'])],
      ['a plain Error', new Error('bug in the source')],
    ])('raises %s at once', (_name, error) => {
      const out = runSteps(newTestScheduler(), [error, done], (scheduler) => withBackoff({ scheduler }));
      expect(out.reads).toBe(1);
      expect(out.error).toBe(error);
      expect(out.delays).toEqual([]);
    });

    it('asks isRetryable which errors to retry', () => {
      const flaky = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      const out = runSteps(newTestScheduler(), [flaky, done], (scheduler) =>
        withBackoff({ isRetryable: (e) => (e as { code?: unknown }).code === 'ECONNRESET', jitter: 0, scheduler }),
      );
      expect(out.completed).toBe(true);
      expect(out.reads).toBe(2);
    });

    it('raises what isRetryable throws', () => {
      const bug = new Error('predicate bug');
      const out = runSteps(newTestScheduler(), [unavailable(), done], (scheduler) =>
        withBackoff({
          isRetryable: () => {
            throw bug;
          },
          scheduler,
        }),
      );
      expect(out.error).toBe(bug);
    });
  });

  describe('maxWaitMs', () => {
    it('gives up with TaskTimeoutError carrying the last snapshot, cutting the request in flight', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ cold, expectSubscriptions, flush }) => {
        const request = cold('---(a|)', { a: reading.running(0.7) });
        const source = scriptedSource('task-1', () => request);
        let error: unknown;
        pollTask$(source, withBackoff({ initialDelayMs: 4, factor: 1, jitter: 0, maxWaitMs: 10 })).subscribe({ error: (e: unknown) => (error = e) });
        flush();
        expect(error).toBeInstanceOf(TaskTimeoutError);
        expect(error).toMatchObject({ timeoutMs: 10, elapsedMs: 10, lastSnapshot: { polls: 1, progress: 0.7 } });
        // Reads at 0 (answered at 3) and 7 (in flight at 10, cut).
        expectSubscriptions(request.subscriptions).toBe(['^--!', '-------^--!']);
      });
    });

    it('times out without a snapshot when no reading arrived', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const source = scriptedSource('task-1', () => NEVER);
        let error: unknown;
        pollTask$(source, withBackoff({ maxWaitMs: 50 })).subscribe({ error: (e: unknown) => (error = e) });
        flush();
        expect(error).toMatchObject({ name: 'TaskTimeoutError', timeoutMs: 50, elapsedMs: 50 });
        expect((error as TaskTimeoutError).lastSnapshot).toBeUndefined();
      });
    });

    it('stops its deadline timer when the task ends in time', () => {
      const out = runSteps(newTestScheduler(), [running, done], (scheduler) => withBackoff({ maxWaitMs: 60_000, jitter: 0, scheduler }));
      expect(out.completed).toBe(true);
      expect(out.pending).toBe(0);
    });
  });

  describe('options', () => {
    it.each([
      [{ initialDelayMs: -1 }, 'withBackoff: option "initialDelayMs" must be a number of at least 0, but was -1.'],
      [{ initialDelayMs: '2s' }, 'withBackoff: option "initialDelayMs" must be a number of at least 0, but was "2s".'],
      [{ factor: 0.5 }, 'withBackoff: option "factor" must be a number of at least 1, but was 0.5.'],
      [{ maxDelayMs: Number.NaN }, 'withBackoff: option "maxDelayMs" must be a number of at least 0, but was NaN.'],
      [{ initialDelayMs: 5000, maxDelayMs: 1000 }, 'withBackoff: option "maxDelayMs" (1000) must be at least "initialDelayMs" (5000); raise maxDelayMs or lower initialDelayMs.'],
      [{ jitter: 1.5 }, 'withBackoff: option "jitter" must be a number from 0 to 1, but was 1.5.'],
      [{ maxConsecutiveErrors: 2.5 }, 'withBackoff: option "maxConsecutiveErrors" must be a whole number of at least 0 (or Infinity), but was 2.5.'],
      [{ maxRetryAfterMs: -1 }, 'withBackoff: option "maxRetryAfterMs" must be a number of at least 0 (or Infinity), but was -1.'],
      [{ isRetryable: true }, 'withBackoff: option "isRetryable" must be a function, but was true.'],
      [{ random: 0.5 }, 'withBackoff: option "random" must be a function, but was 0.5.'],
      [{ scheduler: {} }, 'withBackoff: option "scheduler" must be an RxJS scheduler (with now() and schedule()), but was an object.'],
      [{ firstPollDelayMs: Infinity }, 'withBackoff: option "firstPollDelayMs" must be a number of at least 0, but was Infinity.'],
      [{ intialDelayMs: 1000 }, 'withBackoff: unknown option "intialDelayMs"; the options are initialDelayMs, factor, maxDelayMs, jitter, random, firstPollDelayMs, maxConsecutiveErrors, isRetryable, maxRetryAfterMs, maxWaitMs, startAtWait, scheduler.'],
      [1000, 'withBackoff: options must be an object, but was 1000.'],
      [{ jitter: { min: 0.2, max: 0.1 } }, 'withBackoff: option "jitter" as a range needs numbers min ≤ max between -1 and 1, e.g. { min: 0, max: 0.1 }.'],
      [{ jitter: { min: 0 } }, 'withBackoff: option "jitter" as a range needs numbers min ≤ max between -1 and 1, e.g. { min: 0, max: 0.1 }.'],
      [{ jitter: { min: -2, max: 0 } }, 'withBackoff: option "jitter.min" must be a number from -1 to 1, but was -2.'],
      [{ jitter: { low: 0, max: 0 } }, 'withBackoff: jitter: unknown option "low"; the options are min, max.'],
      [{ maxWaitMs: -5 }, 'withBackoff: option "maxWaitMs" must be a number of at least 0 (or Infinity), but was -5.'],
      [{ startAtWait: 0 }, 'withBackoff: option "startAtWait" must be a whole number of at least 1, but was 0.'],
    ])('throws a TypeError naming the option for %p', (options, message) => {
      expect(() => withBackoff(options as never)).toThrow(new TypeError(message));
    });

    it('raises maxDelayMs to initialDelayMs when only initialDelayMs is given', () => {
      const out = runSteps(newTestScheduler(), [running, running, done], (scheduler) =>
        withBackoff({ initialDelayMs: 60_000, jitter: 0, scheduler }),
      );
      expect(out.delays).toEqual([60_000, 60_000]);
    });

    it('accepts Infinity for maxConsecutiveErrors', () => {
      const steps = [...Array.from({ length: 20 }, () => unavailable()), done];
      const out = runSteps(newTestScheduler(), steps, (scheduler) =>
        withBackoff({ maxConsecutiveErrors: Infinity, initialDelayMs: 1, factor: 1, scheduler }),
      );
      expect(out.completed).toBe(true);
      expect(out.reads).toBe(21);
    });
  });
});
