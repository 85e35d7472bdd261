import { TransportError, withEta, type TaskReading } from '../../lib/index.js';
import { etaOf } from '../../lib/strategies/eta-estimate.js';
import { gapsOf, runSteps, unavailable } from '../helpers/loops.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler } from '../helpers/sources.js';

const steady = () => 0.5;

/**
 * Readings of a task that ends at `end` ms and reports `progressAt(at, n)` for its n-th reading before that,
 * read at the times the strategy chooses: built lazily per read, on the virtual clock.
 */
function shapedTask(end: number, progressAt: (at: number, n: number) => number) {
  return (scheduler: ReturnType<typeof newTestScheduler>) => {
    let n = 0;
    return new Proxy([] as TaskReading<unknown>[], {
      get(target, key) {
        if (key === 'length') return Infinity;
        if (typeof key === 'string' && /^\d+$/.test(key)) {
          const at = scheduler.now();
          const i = n++;
          return at >= end ? reading.succeeded('done') : reading.running(Math.min(1, Math.max(0, progressAt(at, i))));
        }
        return Reflect.get(target, key);
      },
    });
  };
}

function linearTask(end: number, noise: (n: number) => number = () => 0) {
  return shapedTask(end, (at, n) => at / end + noise(n));
}

/** Runs withEta over a task shaped as `task`; returns the reads, and how late the end was noticed. */
function watch(task: ReturnType<typeof shapedTask>, end: number) {
  const scheduler = newTestScheduler();
  const out = runSteps(scheduler, task(scheduler), (timers) => withEta({ scheduler: timers, random: steady }), 200);
  return { ...out, lateness: out.readTimes.at(-1)! - end };
}

describe('withEta', () => {
  it('waits as withBackoff while no progress is reported', () => {
    const out = runSteps(newTestScheduler(), [reading.running(), reading.running(), reading.running(), reading.succeeded(1)], (scheduler) =>
      withEta({ scheduler, random: steady }),
    );
    expect(out.delays).toEqual([1000, 1500, 2250]);
  });

  it('jumps toward the estimated end, then asks densely around it, and notices the end within finalDelayMs', () => {
    const scheduler = newTestScheduler();
    const out = runSteps(scheduler, linearTask(60_000)(scheduler), (timers) => withEta({ scheduler: timers, random: steady }), 200);
    expect(out.completed).toBe(true);
    const last = out.readTimes.at(-1)!;
    expect(last).toBeGreaterThanOrEqual(60_000);
    expect(last - 60_000).toBeLessThanOrEqual(900 + 1);
    // Far fewer requests than polling every second would need (60), yet the end is noticed within a second.
    expect(out.reads).toBeLessThanOrEqual(14);
    expect(Math.max(...gapsOf(out.readTimes))).toBeGreaterThan(10_000);
  });

  it('is steady under noisy progress: the end is still noticed soon after it comes', () => {
    const noise = [0.03, -0.04, 0.02, -0.03, 0.04, -0.02, 0.01, -0.01, 0.03, -0.03, 0.02, 0, -0.02, 0.01];
    const scheduler = newTestScheduler();
    const out = runSteps(scheduler, linearTask(30_000, (n) => noise[n % noise.length]!)(scheduler), (timers) => withEta({ scheduler: timers, random: steady }), 200);
    expect(out.completed).toBe(true);
    expect(out.readTimes.at(-1)! - 30_000).toBeLessThanOrEqual(2000);
    expect(out.reads).toBeLessThanOrEqual(16);
  });

  it('asks less and less often when progress stalls, never more than 12 % of the time waited apart', () => {
    const stalled = [reading.running(0), reading.running(0.2), reading.running(0.4), ...Array.from({ length: 30 }, () => reading.running(0.4)), reading.succeeded(1)];
    const out = runSteps(newTestScheduler(), stalled, (scheduler) => withEta({ scheduler, random: steady }));
    expect(out.completed).toBe(true);
    const gaps = gapsOf(out.readTimes).slice(4);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]!);
    gaps.forEach((gap, i) => expect(gap).toBeLessThanOrEqual(Math.max(900 * 1.5, 0.12 * out.readTimes[i + 4]!) + 1));
    expect(gaps.at(-1)!).toBeGreaterThan(5000);
  });

  it('honours Retry-After and retries transient errors as withBackoff does', () => {
    const out = runSteps(newTestScheduler(), [unavailable(7000), reading.running(undefined, { retryAfterMs: 4000 }), reading.succeeded(1)], (scheduler) =>
      withEta({ scheduler, random: steady }),
    );
    expect(out.delays).toEqual([7000, 4000]);
    expect(out.completed).toBe(true);
    const fatal = runSteps(newTestScheduler(), [new TransportError('403', { status: 403, retryable: false }), reading.succeeded(1)], (scheduler) => withEta({ scheduler }));
    expect(fatal.reads).toBe(1);
  });

  it('keeps its estimate per subscription', () => {
    const strategy = withEta({ random: steady });
    const a = runSteps(newTestScheduler(), [reading.running(0.1), reading.running(0.5), reading.running(0.9), reading.succeeded(1)], () => strategy);
    const b = runSteps(newTestScheduler(), [reading.running(), reading.running(), reading.succeeded(1)], () => strategy);
    expect(a.completed && b.completed).toBe(true);
    expect(gapsOf(b.readTimes)).toEqual([1000, 1500]);
  });

  it.each([
    [{ minDelayMs: -1 }, 'withEta: option "minDelayMs" must be a number of at least 0, but was -1.'],
    [{ minDelayMs: 5000, maxDelayMs: 1000 }, 'withEta: option "maxDelayMs" (1000) must be at least "minDelayMs" (5000).'],
    [{ samples: 1 }, 'withEta: option "samples" must be a whole number from 2 to 100, but was 1.'],
    [{ lateDelayMs: 500 }, 'withEta: unknown option "lateDelayMs"; the options are minDelayMs, maxDelayMs, finalDelayMs, initialDelayMs, samples, random, firstPollDelayMs, maxConsecutiveErrors, isRetryable, maxRetryAfterMs, maxWaitMs, startAtWait, scheduler.'],
  ])('throws a TypeError for %p', (options, message) => {
    expect(() => withEta(options as never)).toThrow(new TypeError(message));
  });
});

// Each mechanism on a task shaped to need it; each test fails when its mechanism is taken out (checked by
// hand when they were written: see docs/operators.md for what each does, docs/benchmarks.md for the measure).
describe('withEta: what it does with each kind of progress', () => {
  it('a queue wait, then the work: follows the recent line from where progress sped up', () => {
    const end = 60_000;
    const out = watch(shapedTask(end, (at) => (at < 30_000 ? 0 : (at - 30_000) / 30_000)), end);
    expect(out.completed).toBe(true);
    expect(out.lateness).toBeLessThanOrEqual(0.15 * end);
  });

  it('a crawl, then a rush: no hop on slow early progress reaches past the rush', () => {
    const end = 60_000;
    const out = watch(shapedTask(end, (at) => (at < 36_000 ? (0.1 * at) / 36_000 : 0.1 + (0.9 * (at - 36_000)) / 24_000)), end);
    expect(out.completed).toBe(true);
    expect(out.lateness).toBeLessThanOrEqual(0.15 * end);
  });

  it('a short task: asks around its end at a pace scaled to its estimated duration, not every 900 ms', () => {
    for (let end = 3000; end <= 7000; end += 125) {
      const out = watch(linearTask(end), end);
      expect(out.completed).toBe(true);
      expect(out.lateness).toBeLessThanOrEqual(0.13 * end);
    }
  });

  it('progress at 100 % while the task finalises: asks less and less often, never more than 12 % of the time waited apart', () => {
    const end = 40_000;
    const out = watch(shapedTask(end, (at) => at / 20_000), end);
    expect(out.completed).toBe(true);
    const after = out.readTimes.filter((at) => at > 21_000);
    const gaps = gapsOf(after);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]! - 1);
    gaps.forEach((gap, i) => expect(gap).toBeLessThanOrEqual(Math.max(900 * 1.5, 0.12 * after[i]!) + 1));
    expect(out.lateness).toBeLessThanOrEqual(0.15 * end);
    expect(after.length).toBeLessThanOrEqual(9);
  });

  it('an estimate that keeps slipping (progress nearing 100 % ever more slowly): does not keep the dense pace', () => {
    const end = 60_000;
    const out = watch(shapedTask(end, (at) => 1 - Math.exp(-at / 12_000)), end);
    expect(out.completed).toBe(true);
    // At most four requests in a row at the pace, then slower and slower.
    const paced = gapsOf(out.readTimes).map((gap) => (gap <= 900 ? 'p' : '-')).join('');
    expect(paced).not.toContain('ppppp');
    expect(out.lateness).toBeLessThanOrEqual(0.15 * end);
  });

  it('no progress: backs off ×1.5 from initialDelayMs up to 10 s', () => {
    const steps = [...Array.from({ length: 10 }, () => reading.running()), reading.succeeded(1)];
    const out = runSteps(newTestScheduler(), steps, (scheduler) => withEta({ scheduler, random: steady }));
    expect(out.delays).toEqual([1000, 1500, 2250, 3375, 5062.5, 7593.75, 10_000, 10_000, 10_000, 10_000]);
    const high = runSteps(newTestScheduler(), steps, (scheduler) => withEta({ scheduler, random: steady, initialDelayMs: 20_000 }));
    expect(new Set(high.delays)).toEqual(new Set([20_000]));
  });

  it('clean progress: its uncertainty comes from the readings themselves, so few requests go to the end', () => {
    const end = 120_000;
    const out = watch(linearTask(end), end);
    expect(out.completed).toBe(true);
    expect(out.lateness).toBeLessThanOrEqual(900 + 1);
    expect(out.reads).toBeLessThanOrEqual(14);
  });
});

describe('etaOf', () => {
  it('finds the end of a straight progress line', () => {
    const estimate = etaOf([
      { at: 0, progress: 0 },
      { at: 10_000, progress: 0.25 },
      { at: 20_000, progress: 0.5 },
    ])!;
    expect(estimate.at).toBeCloseTo(40_000, 3);
  });

  it('barely moves for one wild reading', () => {
    const estimate = etaOf([
      { at: 0, progress: 0 },
      { at: 10_000, progress: 0.25 },
      { at: 20_000, progress: 0.9 }, // a jump
      { at: 30_000, progress: 0.75 },
      { at: 40_000, progress: 1 },
    ])!;
    expect(Math.abs(estimate.at - 40_000)).toBeLessThan(4000);
  });

  it('has no estimate for progress that does not go up, or for one point', () => {
    expect(etaOf([{ at: 0, progress: 0.5 }, { at: 1000, progress: 0.5 }])).toBeUndefined();
    expect(etaOf([{ at: 0, progress: 0.5 }])).toBeUndefined();
    expect(etaOf([])).toBeUndefined();
  });
});
