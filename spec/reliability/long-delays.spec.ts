import fc from 'fast-check';
import { asyncScheduler, NEVER, Observable, of, Subscription, VirtualAction, VirtualTimeScheduler, type SchedulerAction, type SchedulerLike } from 'rxjs';
import {
  createTaskPoller,
  pollTask$,
  taskSource,
  timeoutAfter,
  waitForResult,
  withBackoff,
  withInterval,
  type PollStrategy,
  type TaskReading,
} from '../../lib/index.js';
import { maxTimerDelay, scheduleAfter, sleep } from '../../lib/core/clock.js';
import { startDeadline } from '../../lib/http/request-deadline.js';
import { pause } from '../../lib/http/transport.js';
import { parseBackoff, parseDuration, UsageError } from '../../lib/cli/args.js';
import { evoJob } from '../../lib/http/index.js';
import { startTaskServer, type TaskServer } from '../../lib/testing/index.js';
import { reading } from '../helpers/readings.js';
import { unavailable } from '../helpers/loops.js';
import { turnsUntil, turnsWithout } from '../helpers/timers.js';

// Section 1 of docs/reliability.md: every delay and deadline the library schedules waits as long as it was
// given, up to Number.MAX_SAFE_INTEGER ms (Infinity: for ever), although a timer fires at once past 2^31 - 1.

const day = 86_400_000;

/** A scheduler's work, of any state. */
type Work = (this: SchedulerAction<unknown>, state?: unknown) => void;

/** Delays past what one timer can hold: the edges, and anything up to about 68 years. */
const longDelay = fc.oneof(
  fc.constantFrom(2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32, 30 * day, 40 * day, 1000 * 3_600_000, 3 * 365 * day),
  fc.integer({ min: 2 ** 31 - 1, max: 2 ** 31 * 1000 }),
  fc.double({ min: 2 ** 31, max: 2 ** 31 * 1000, noNaN: true }),
);

/**
 * A virtual clock whose timers record their delays: `advanceTo(t)` runs everything due by `t`. Its actions
 * are RxJS's VirtualActions, so the loop's own rescheduling goes through `schedule` like everything else.
 */
function virtualClock() {
  const inner = new VirtualTimeScheduler(VirtualAction, 0);
  let timers = 0;
  let longest = 0;
  const scheduler: SchedulerLike = {
    now: () => inner.now(),
    schedule(work, delay = 0, state) {
      timers++;
      longest = Math.max(longest, delay);
      return inner.schedule(work as Work, delay, state);
    },
  };
  return {
    scheduler,
    advanceTo(time: number) {
      inner.maxFrames = time;
      inner.flush();
    },
    get timers() {
      return timers;
    },
    get longest() {
      return longest;
    },
  };
}

/** A task that stays running; counts its reads and answers each at once. */
function runningTask(steps: (call: number) => TaskReading<unknown> | Error = () => reading.running(0.5)) {
  let reads = 0;
  const source = taskSource({
    id: 'task-1',
    read: () =>
      new Observable<TaskReading<unknown>>((subscriber) => {
        const step = steps(reads++);
        if (step instanceof Error) subscriber.error(step);
        else {
          subscriber.next(step);
          subscriber.complete();
        }
      }),
  });
  return {
    source,
    get reads() {
      return reads;
    },
  };
}

describe('scheduleAfter, the one way lib/ sets a timer of any length', () => {
  it('runs the work once, exactly at the delay, with no timer longer than 2^31 - 1 ms', () => {
    fc.assert(
      fc.property(fc.oneof(longDelay, fc.integer({ min: 0, max: maxTimerDelay }), fc.double({ min: 0, max: 1000, noNaN: true })), (delay) => {
        const clock = virtualClock();
        const runs: number[] = [];
        scheduleAfter(clock.scheduler, () => void runs.push(clock.scheduler.now()), delay);
        clock.advanceTo(Math.max(0, delay - 1));
        expect(runs.filter((time) => time < delay)).toEqual([]);
        clock.advanceTo(delay + 1);
        expect(runs).toEqual([delay]);
        expect(clock.longest).toBeLessThanOrEqual(maxTimerDelay);
      }),
    );
  });

  it('reads what is left at each link: up to Number.MAX_SAFE_INTEGER ms, and a clock that jumped (a machine asleep)', () => {
    // A hand-driven clock: each timer is held until the test runs it, at whatever time the test sets.
    let time = 0;
    const held: { work: () => void; delay: number }[] = [];
    const manual: SchedulerLike = {
      now: () => time,
      schedule(work, delay = 0, state) {
        const timer = { work: () => (work as (s: unknown) => void).call(undefined, state), delay };
        held.push(timer);
        return new Subscription(() => held.splice(held.indexOf(timer), 1));
      },
    };
    let ranAt: number | undefined;
    scheduleAfter(manual, () => void (ranAt = time), Number.MAX_SAFE_INTEGER);
    expect(held.map((timer) => timer.delay)).toEqual([maxTimerDelay]);
    time = maxTimerDelay;
    held.shift()!.work();
    expect(held.map((timer) => timer.delay)).toEqual([maxTimerDelay]);
    // The machine slept for years: the next link sees how little is left.
    time = Number.MAX_SAFE_INTEGER - 5;
    held.shift()!.work();
    expect(held.map((timer) => timer.delay)).toEqual([5]);
    expect(ranAt).toBeUndefined();
    time = Number.MAX_SAFE_INTEGER;
    held.shift()!.work();
    expect(ranAt).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('never runs, nor sets a timer, for Infinity', () => {
    const clock = virtualClock();
    let ran = false;
    scheduleAfter(clock.scheduler, () => void (ran = true), Infinity);
    clock.advanceTo(Number.MAX_VALUE);
    expect(ran).toBe(false);
    expect(clock.timers).toBe(0);
  });

  it('stops the chain when unsubscribed between links', () => {
    fc.assert(
      fc.property(longDelay, fc.double({ min: 0, max: 1, noNaN: true }), (delay, part) => {
        const clock = virtualClock();
        let ran = false;
        const chain = scheduleAfter(clock.scheduler, () => void (ran = true), delay);
        clock.advanceTo(delay * part * 0.99);
        chain.unsubscribe();
        clock.advanceTo(delay * 2);
        expect(ran).toBe(false);
      }),
    );
  });

  it('ends after a bounded number of links even on a clock that never moves', () => {
    const frozen = new VirtualTimeScheduler(VirtualAction, Infinity);
    const delays: number[] = [];
    const stuck: SchedulerLike = {
      now: () => 0,
      schedule: (work, delay = 0, state) => (delays.push(delay), frozen.schedule(work as Work, delay, state)),
    };
    let ran = false;
    scheduleAfter(stuck, () => void (ran = true), 5 * 2 ** 31);
    frozen.flush();
    expect(ran).toBe(true);
    expect(delays.length).toBeLessThanOrEqual(6);
  });
});

describe('the strategies and operators with delays past 2^31 - 1 ms (virtual time)', () => {
  /**
   * For every long delay d: the strategy `make` builds asks `readsBefore + 1` times by d and not before, over
   * the task `task(d)` gives, and sets no timer longer than one can hold.
   */
  const everyLong = (
    make: (delay: number, scheduler: SchedulerLike) => PollStrategy,
    { task = () => runningTask(), readsBefore = 1 }: { task?: (delay: number) => ReturnType<typeof runningTask>; readsBefore?: number } = {},
  ) =>
    fc.property(longDelay, (delay) => {
      const clock = virtualClock();
      const polled = task(delay);
      const subscription = pollTask$(polled.source, make(delay, clock.scheduler)).subscribe({ error: () => undefined });
      clock.advanceTo(delay - 1);
      expect(polled.reads).toBe(readsBefore);
      clock.advanceTo(delay);
      expect(polled.reads).toBe(readsBefore + 1);
      expect(clock.longest).toBeLessThanOrEqual(maxTimerDelay);
      subscription.unsubscribe();
    });

  it('withInterval(d) asks again after d, not at once', () => {
    fc.assert(everyLong((delay, scheduler) => withInterval(delay, { scheduler })));
  });

  it('withBackoff({ initialDelayMs: d }) asks again after d', () => {
    fc.assert(everyLong((delay, scheduler) => withBackoff({ initialDelayMs: delay, maxDelayMs: delay, jitter: 0, scheduler })));
  });

  it('firstPollDelayMs waits that long before the first request', () => {
    fc.assert(everyLong((delay, scheduler) => withInterval(1, { firstPollDelayMs: delay, scheduler }), { readsBefore: 0 }));
  });

  it('a Retry-After of years with maxRetryAfterMs: Infinity is waited out, not hammered', () => {
    fc.assert(
      everyLong((_, scheduler) => withInterval(1, { maxRetryAfterMs: Infinity, scheduler }), {
        task: (hint) => runningTask((call) => (call === 0 ? unavailable(hint) : reading.running(0.5))),
      }),
    );
  });

  it('maxWaitMs: d ends the wait at d, not before', () => {
    fc.assert(
      fc.property(longDelay, (limit) => {
        const clock = virtualClock();
        const task = runningTask();
        let failedAt: number | undefined;
        let failure: unknown;
        pollTask$(task.source, withInterval(limit / 4, { maxWaitMs: limit, scheduler: clock.scheduler })).subscribe({
          error: (error: unknown) => ((failedAt = clock.scheduler.now()), (failure = error)),
        });
        clock.advanceTo(limit - 1);
        expect(failedAt).toBeUndefined();
        clock.advanceTo(limit);
        expect(failedAt).toBe(limit);
        expect(failure).toMatchObject({ name: 'TaskTimeoutError', timeoutMs: limit });
        expect(clock.longest).toBeLessThanOrEqual(maxTimerDelay);
      }),
    );
  });

  it('timeoutAfter(ms) and timeoutAfter({ deadline }) (a resumed wait) end the wait at their time, not before', () => {
    fc.assert(
      fc.property(longDelay, fc.boolean(), (limit, asDeadline) => {
        const clock = virtualClock();
        let failedAt: number | undefined;
        const config = asDeadline ? { deadline: clock.scheduler.now() + limit, scheduler: clock.scheduler } : { ms: limit, scheduler: clock.scheduler };
        NEVER.pipe(timeoutAfter(config)).subscribe({ error: () => (failedAt = clock.scheduler.now()) });
        clock.advanceTo(limit - 1);
        expect(failedAt).toBeUndefined();
        clock.advanceTo(limit);
        expect(failedAt).toBe(limit);
        expect(clock.longest).toBeLessThanOrEqual(maxTimerDelay);
      }),
    );
  });

  it('a request budget of one request in years spaces the second request years apart', () => {
    fc.assert(
      fc.property(longDelay, (spacing) => {
        const clock = virtualClock();
        const poller = createTaskPoller({ maxRequestsPerSecond: 1000 / spacing, strategy: withInterval(1, { scheduler: clock.scheduler }), scheduler: clock.scheduler });
        const first = runningTask();
        const second = runningTask();
        const watches = [poller.watch({ ...first.source, id: 'a' }).subscribe(), poller.watch({ ...second.source, id: 'b' }).subscribe()];
        clock.advanceTo(spacing * 0.999);
        expect(first.reads + second.reads).toBe(1);
        clock.advanceTo(spacing * 1.001);
        expect(first.reads + second.reads).toBe(2);
        expect(clock.longest).toBeLessThanOrEqual(maxTimerDelay);
        watches.forEach((watch) => watch.unsubscribe());
      }),
    );
  });
});

describe('poll-task watch --timeout, --interval and --backoff', () => {
  it('take any duration up to Number.MAX_SAFE_INTEGER ms, exactly', () => {
    const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(units) as (keyof typeof units)[])), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (unit, ms) => {
        const amount = Math.floor(ms / units[unit]);
        expect(parseDuration(`${amount}${unit}`, '--timeout')).toBe(amount * units[unit]);
      }),
    );
    expect(parseDuration('1000h', '--timeout')).toBe(3_600_000_000);
  });

  it('take nothing else: whatever the text, a duration from 0 to Number.MAX_SAFE_INTEGER ms or a usage error', () => {
    const hostileText = fc.oneof(
      fc.string(),
      fc.constantFrom('-1s', 'NaNms', 'Infinityh', '1e3s', '1e999h', '0x10ms', '.5s', '5.s', '5 s', '', 's', '1.5.5s', '\u0663s', '5S', '5sec', '1h30m', '10', '1_000ms', '+5s'),
      fc.tuple(fc.double(), fc.constantFrom('ms', 's', 'm', 'h')).map(([amount, unit]) => `${amount}${unit}`),
    );
    fc.assert(
      fc.property(hostileText, fc.constantFrom('--timeout', '--interval'), (text, option) => {
        let ms: number | undefined;
        try {
          ms = parseDuration(text, option);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
          expect((error as Error).message.startsWith(`${option} `)).toBe(true);
          return;
        }
        expect(Number.isFinite(ms) && ms >= 0 && ms <= Number.MAX_SAFE_INTEGER).toBe(true);
        expect(text.trim()).toMatch(/^\d+(\.\d+)?(ms|s|m|h)$/);
      }),
      { numRuns: 1000 },
    );
  });

  it('--backoff takes two such durations, the longer second, up to Number.MAX_SAFE_INTEGER ms', () => {
    const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
    const duration = fc.tuple(fc.constantFrom(...(Object.keys(units) as (keyof typeof units)[])), fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(0, 2 ** 31, Number.MAX_SAFE_INTEGER)));
    fc.assert(
      fc.property(duration, duration, ([unitA, a], [unitB, b]) => {
        const [first, longest] = [Math.floor(a / units[unitA]), Math.floor(b / units[unitB])];
        const text = `${first}${unitA}..${longest}${unitB}`;
        const [initialDelayMs, maxDelayMs] = [first * units[unitA], longest * units[unitB]];
        if (maxDelayMs < initialDelayMs) expect(() => parseBackoff(text)).toThrow(UsageError);
        else expect(parseBackoff(text)).toEqual({ initialDelayMs, maxDelayMs });
      }),
    );
    expect(() => parseBackoff(`1s..${Number.MAX_SAFE_INTEGER + 1}ms`)).toThrow(/is longer than the longest wait/);
  });

  it('refuse a duration longer than that, saying the longest', () => {
    for (const text of ['9007199254740992ms', '2502000000h', `${'9'.repeat(400)}h`]) {
      expect(() => parseDuration(text, '--timeout')).toThrow(UsageError);
      expect(() => parseDuration(text, '--timeout')).toThrow(/--timeout .* is longer than the longest wait, 9007199254740991 ms/);
    }
  });
});

describe('the result request of a finished task, told to come back in years', () => {
  let sim: TaskServer;
  beforeEach(async () => {
    sim = await startTaskServer();
  });
  afterEach(() => {
    jest.useRealTimers();
    return sim.close();
  });

  it('asks again after 5 minutes, neither at once nor in years', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'hrtime', 'performance'] });
    const task = sim.create('evo', { reads: 1, result: { rows: 4 } });
    const resultPath = new URL(task.url).pathname.replace(/\/status$/, '');
    sim.fault({ kind: 'status', status: 503, retryAfterMs: 3 * 365 * day, path: resultPath, times: 1 });
    const resultRequests = () => sim.requests.filter((request) => request.path === resultPath).length;
    let result: unknown;
    const subscription = pollTask$(evoJob({ url: task.url }), withInterval(0)).subscribe((event) => {
      if (event.type === 'result') result = event.result;
    });
    await turnsUntil(() => resultRequests() === 1, 'the first result request');
    expect(resultRequests()).toBe(1);
    // The answer is read and the pause set: one timer more.
    const timers = jest.getTimerCount();
    await turnsUntil(() => jest.getTimerCount() > timers, 'the pause before the next result request');
    jest.advanceTimersByTime(300_000 - 1);
    await turnsWithout(() => resultRequests() > 1);
    expect(resultRequests()).toBe(1);
    jest.advanceTimersByTime(1);
    await turnsUntil(() => result !== undefined, 'the result');
    expect(resultRequests()).toBe(2);
    expect(result).toEqual({ rows: 4 });
    subscription.unsubscribe();
  });
});

describe('delays past 2^31 - 1 ms on the real clock', () => {
  it('none of them fires within a second', async () => {
    const long = 2 ** 31 + 1000;
    const fired: string[] = [];
    const note = (what: string) => () => void fired.push(what);
    const task = runningTask();
    const never = taskSource<unknown>({ id: 'never', read: () => of(reading.running(0.5)) });
    const abort = new AbortController();

    const chain = scheduleAfter(asyncScheduler, note('scheduleAfter'), long);
    void sleep(long).then(note('sleep'));
    const deadline = startDeadline(long, note('request timeout'));
    pause(long, abort.signal).then(note('result retry pause'), () => undefined);
    const polling = pollTask$(task.source, withInterval(long)).subscribe({ error: note('withInterval error') });
    const limited = pollTask$(never, withInterval(long, { maxWaitMs: long })).subscribe({ error: note('maxWaitMs') });
    const timed = pollTask$(never, withInterval(long)).pipe(timeoutAfter(long)).subscribe({ error: note('timeoutAfter') });
    waitForResult(never, { strategy: withInterval(long), timeoutMs: long, signal: abort.signal }).then(note('waitForResult'), (error: unknown) => {
      if ((error as { name?: string }).name !== 'AbortError') fired.push('waitForResult');
    });

    const sim = await startTaskServer();
    const slowTask = sim.create('benchling', { reads: 1 });
    sim.fault({ kind: 'slow', delayMs: long, times: 1 });
    const answered = fetch(slowTask.url, { signal: abort.signal }).then(note('simulator slow fault'), () => undefined);

    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(fired).toEqual([]);
    expect(task.reads).toBe(1);

    for (const subscription of [chain, polling, limited, timed]) subscription.unsubscribe();
    deadline.cancel();
    abort.abort();
    await answered;
    await sim.close();
  });
});
