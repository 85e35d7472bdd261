// The bounds the engine, the strategies and the operators promise (docs/guide.md, docs/operators.md,
// docs/many-tasks.md), each tried over a class of schedules, answers and timings on virtual time: one request
// at a time per task, a backoff within its jitter and never above maxDelayMs, maxConsecutiveErrors and
// maxRetryAfterMs as written, pollAll$'s concurrency, a poller's request budget, a cancel exactly once and
// never after the end, nothing left running at the end, progress checked, and taskState never erroring.
import fc from 'fast-check';
import { filter, map, Observable, startWith, timer, type SchedulerLike, type Subscription } from 'rxjs';
import {
  cancelOnUnsubscribe,
  createTaskPoller,
  pauseWhile,
  pollAll$,
  pollTask$,
  SourceContractError,
  taskState,
  timeoutAfter,
  TransportError,
  withBackoff,
  withEta,
  withInterval,
  type PollStrategy,
  type TaskEvent,
  type TaskReading,
  type TaskSource,
  type TaskState,
} from '../../lib/index.js';
import { expectGaveUpWith, gapsOf, runSteps, unavailable, type Step } from '../helpers/loops.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler, scriptedSource, trackingScheduler } from '../helpers/sources.js';

type Scheduler = ReturnType<typeof newTestScheduler>;

/** One answer of a scripted task: after `latency` ms, a reading, a retryable 503 (with a hint), or a bug. */
interface Answer {
  readonly latency: number;
  readonly kind: 'running' | 'hinted' | 'unavailable' | 'succeeded' | 'failed' | 'canceled' | 'bug';
  readonly hint: number;
}

const answers = (terminal: boolean): fc.Arbitrary<Answer[]> =>
  fc
    .tuple(
      fc.array(
        fc.record({
          latency: fc.integer({ min: 0, max: 40 }),
          kind: fc.constantFrom<Answer['kind']>('running', 'running', 'hinted', 'unavailable'),
          hint: fc.integer({ min: 0, max: 200 }),
        }),
        { maxLength: 12 },
      ),
      fc.record({
        latency: fc.integer({ min: 0, max: 40 }),
        kind: terminal ? fc.constantFrom<Answer['kind']>('succeeded', 'failed', 'canceled', 'bug') : fc.constant<Answer['kind']>('running'),
        hint: fc.constant(0),
      }),
    )
    .map(([before, last]) => [...before, last]);

/** What the requests of scripted tasks did: how many were in flight, at most, per task and in all. */
interface Requests {
  inFlight: Map<string, number>;
  mostPerTask: number;
  total: number;
  mostTotal: number;
  starts: number[];
}

const newRequests = (): Requests => ({ inFlight: new Map(), mostPerTask: 0, total: 0, mostTotal: 0, starts: [] });

/** A task that answers `script` one read after the other (the last answer repeats), counting its requests. */
function scripted(id: string, scheduler: Scheduler, script: readonly Answer[], requests: Requests, cancel?: () => Observable<void>) {
  const bug = new Error(`a bug in ${id}'s read()`);
  return scriptedSource<unknown>(
    id,
    (call) =>
      new Observable<TaskReading<unknown>>((subscriber) => {
        const answer = script[Math.min(call, script.length - 1)]!;
        const mine = (requests.inFlight.get(id) ?? 0) + 1;
        requests.inFlight.set(id, mine);
        requests.mostPerTask = Math.max(requests.mostPerTask, mine);
        requests.total++;
        requests.mostTotal = Math.max(requests.mostTotal, requests.total);
        requests.starts.push(scheduler.now());
        let open = true;
        const close = (): void => {
          if (!open) return;
          open = false;
          requests.inFlight.set(id, requests.inFlight.get(id)! - 1);
          requests.total--;
        };
        const timer = scheduler.schedule(() => {
          close();
          if (answer.kind === 'unavailable') return subscriber.error(unavailable(answer.hint));
          if (answer.kind === 'bug') return subscriber.error(bug);
          const next =
            answer.kind === 'hinted'
              ? reading.running(undefined, { retryAfterMs: answer.hint })
              : answer.kind === 'succeeded'
                ? reading.succeeded(id)
                : answer.kind === 'failed'
                  ? reading.failed({ code: 'E' })
                  : answer.kind === 'canceled'
                    ? reading.canceled()
                    : reading.running();
          subscriber.next(next);
          subscriber.complete();
        }, answer.latency);
        return () => {
          close();
          timer.unsubscribe();
        };
      }),
    cancel === undefined ? {} : { cancel },
  );
}

/** The strategies of the library, with small delays so that a run ends within virtual seconds. */
const strategies = fc.oneof(
  fc.integer({ min: 0, max: 50 }).map((ms) => ({ name: `withInterval(${ms})`, make: (): PollStrategy => withInterval(ms) })),
  fc
    .record({ initialDelayMs: fc.integer({ min: 0, max: 30 }), factor: fc.double({ min: 1, max: 3, noNaN: true }), jitter: fc.double({ min: 0, max: 1, noNaN: true }) })
    .map((config) => ({ name: `withBackoff(${JSON.stringify(config)})`, make: (): PollStrategy => withBackoff({ ...config, maxDelayMs: 60 }) })),
  fc.constant({ name: 'withEta()', make: (): PollStrategy => withEta({ minDelayMs: 1, maxDelayMs: 50, finalDelayMs: 5, initialDelayMs: 5 }) }),
  // Paused and resumed every 7 ms (virtual time: timer runs on the TestScheduler inside run()).
  fc.constant({
    name: 'pauseWhile(every 7 ms, withInterval(3))',
    make: (): PollStrategy => pauseWhile(timer(7, 7).pipe(map((i) => i % 2 === 0), startWith(false)), withInterval(3)),
  }),
);

describe('bounds, over classes of schedules and answers', () => {
  it('a task watched through a poller never has two requests in flight, however many watch it and whenever they come', () => {
    fc.assert(
      fc.property(strategies, answers(true), fc.integer({ min: 1, max: 4 }), (strategy, script, watchers) => {
        const scheduler = newTestScheduler(100_000);
        const requests = newRequests();
        scheduler.run(({ flush }) => {
          const source = scripted('task', scheduler, script, requests);
          const poller = createTaskPoller({ strategy: strategy.make() });
          // Watchers come at different times; a bound on each keeps a task that never ends finite.
          for (let i = 0; i < watchers; i++) {
            scheduler.schedule(() => poller.watch(source).pipe(timeoutAfter<TaskEvent<unknown>>(5000)).subscribe({ error: () => undefined }), i * 7);
          }
          flush();
        });
        expect({ strategy: strategy.name, most: requests.mostPerTask, open: requests.total }).toEqual({ strategy: strategy.name, most: 1, open: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it('one subscriber\'s loop never overlaps two requests', () => {
    fc.assert(
      fc.property(strategies, answers(true), (strategy, script) => {
        const scheduler = newTestScheduler(100_000);
        const requests = newRequests();
        scheduler.run(({ flush }) => {
          pollTask$(scripted('task', scheduler, script, requests), strategy.make()).pipe(timeoutAfter<TaskEvent<unknown>>(5000)).subscribe({ error: () => undefined });
          flush();
        });
        expect({ strategy: strategy.name, most: requests.mostPerTask, open: requests.total }).toEqual({ strategy: strategy.name, most: 1, open: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it('withBackoff spreads delay n by its jitter around min(maxDelayMs, initialDelayMs × factor^(n−1)), never above maxDelayMs, whatever random() answers', () => {
    const jitters = fc.oneof(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true })).map(([a, b]) => ({ min: Math.min(a, b), max: Math.max(a, b) })),
    );
    // A random source as documented ([0, 1)), and broken ones: a bug in it must not make a storm.
    const randoms = fc.array(fc.oneof(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.constantFrom(NaN, -1, 1, 7, Infinity, -Infinity)), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.integer({ min: 0, max: 200_000 }),
        jitters,
        randoms,
        (initialDelayMs, factor, extra, jitter, drawn) => {
          const maxDelayMs = initialDelayMs + extra;
          let draw = 0;
          const random = (): number => drawn[draw++ % drawn.length]!;
          const steps: Step[] = [...Array.from({ length: 10 }, () => reading.running()), reading.succeeded()];
          const out = runSteps(newTestScheduler(Number.MAX_SAFE_INTEGER), steps, (scheduler) => withBackoff({ initialDelayMs, factor, maxDelayMs, jitter, random, scheduler }));
          const [low, high] = typeof jitter === 'number' ? [-jitter, jitter] : [jitter.min, jitter.max];
          expect(out.delays).toHaveLength(10);
          out.delays.forEach((delay, i) => {
            const base = initialDelayMs === 0 ? 0 : Math.min(maxDelayMs, initialDelayMs * factor ** i);
            expect(delay).toBeLessThanOrEqual(maxDelayMs);
            expect(delay).toBeGreaterThanOrEqual(Math.min(maxDelayMs, Math.max(0, base * (1 + low))) - 1e-6 * base);
            expect(delay).toBeLessThanOrEqual(Math.max(0, base * (1 + high)) + 1e-6 * base);
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('maxConsecutiveErrors: a run of more failures in a row than it allows ends the wait with the last of them; fewer are retried', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(Infinity)),
        fc.array(fc.constantFrom('ok', 'err', 'err'), { maxLength: 25 }),
        fc.constantFrom<'withInterval' | 'withBackoff' | 'withEta'>('withInterval', 'withBackoff', 'withEta'),
        (maxConsecutiveErrors, pattern, which) => {
          const errors = pattern.map((step, i) => (step === 'err' ? new TransportError(`503 #${i}`, { status: 503, retryable: true }) : undefined));
          const steps: Step[] = [...pattern.map((_, i) => errors[i] ?? reading.running()), reading.succeeded()];
          const out = runSteps(
            newTestScheduler(),
            steps,
            (scheduler) =>
              which === 'withInterval'
                ? withInterval(1, { maxConsecutiveErrors, scheduler })
                : which === 'withBackoff'
                  ? withBackoff({ initialDelayMs: 1, maxDelayMs: 1, maxConsecutiveErrors, scheduler })
                  : withEta({ minDelayMs: 1, maxDelayMs: 1, initialDelayMs: 1, maxConsecutiveErrors, scheduler }),
            100,
          );
          // The first read at which more than maxConsecutiveErrors failures came in a row.
          let run = 0;
          const breaking = pattern.findIndex((kind) => (run = kind === 'err' ? run + 1 : 0) > maxConsecutiveErrors);
          if (breaking < 0) {
            expect(out.error).toBeUndefined();
            expect(out.reads).toBe(steps.length);
          } else {
            expectGaveUpWith(out.error, errors[breaking]!, maxConsecutiveErrors + 1);
            expect(out.reads).toBe(breaking + 1);
          }
          expect(out.pending).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a Retry-After stretches the next wait to max(delay, min(hint, maxRetryAfterMs)), on a reading or an error, and the schedule goes on after it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.constant(Infinity)),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.boolean(),
        (interval, maxRetryAfterMs, hint, onError) => {
          const hinted: Step = onError ? unavailable(hint) : reading.running(undefined, { retryAfterMs: hint });
          const out = runSteps(newTestScheduler(Number.MAX_SAFE_INTEGER), [reading.running(), hinted, reading.running(), reading.succeeded()], (scheduler) =>
            withInterval(interval, { maxRetryAfterMs, scheduler }),
          );
          expect(out.error).toBeUndefined();
          expect(gapsOf(out.readTimes)).toEqual([interval, Math.max(interval, Math.min(hint, maxRetryAfterMs)), interval]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('pollAll$ polls at most `concurrency` tasks at once, ends each once, and gives the results in input order', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant(Infinity)),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 9 })), { minLength: 1, maxLength: 12 }),
        (concurrency, tasks) => {
          const scheduler = newTestScheduler();
          const requests = newRequests();
          const active = new Set<string>();
          let mostActive = 0;
          let results: readonly unknown[] | undefined;
          scheduler.run(({ flush }) => {
            const sources = tasks.map(([reads, latency], i) => {
              const script: Answer[] = [...Array.from({ length: reads - 1 }, () => ({ latency, kind: 'running' as const, hint: 0 })), { latency, kind: 'succeeded', hint: 0 }];
              const source = scripted(`t${i}`, scheduler, script, requests);
              // A task is polled from its first request until its result is in.
              return {
                ...source,
                read: () =>
                  new Observable<TaskReading<unknown>>((subscriber) => {
                    active.add(source.id);
                    mostActive = Math.max(mostActive, active.size);
                    return source.read().subscribe({
                      next: (value) => {
                        if (value.runStatus === 'succeeded') active.delete(source.id);
                        subscriber.next(value);
                      },
                      error: (error: unknown) => subscriber.error(error),
                      complete: () => subscriber.complete(),
                    });
                  }),
              } as TaskSource<unknown>;
            });
            pollAll$(sources, { concurrency, strategy: withInterval(3) }).subscribe((event) => {
              if (event.type === 'result') results = event.results;
            });
            flush();
          });
          expect(mostActive).toBeLessThanOrEqual(concurrency);
          expect(mostActive).toBe(Math.min(concurrency, tasks.length));
          expect(results).toEqual(tasks.map((_, i) => `t${i}`));
          expect(requests.total).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a poller has at most maxConcurrentRequests in flight and starts them at least 1000 / maxRequestsPerSecond ms apart, and every task ends', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant(Infinity)),
        fc.oneof(fc.integer({ min: 1, max: 400 }), fc.constant(Infinity)),
        fc.array(fc.tuple(answers(true), fc.integer({ min: 0, max: 30 })), { minLength: 1, maxLength: 10 }),
        (maxConcurrentRequests, maxRequestsPerSecond, tasks) => {
          const scheduler = newTestScheduler();
          const requests = newRequests();
          const ended = new Map<string, number>();
          scheduler.run(({ flush }) => {
            const poller = createTaskPoller({ strategy: withInterval(2, { maxConsecutiveErrors: Infinity }), maxConcurrentRequests, maxRequestsPerSecond, scheduler });
            tasks.forEach(([script, joins], i) => {
              const source = scripted(`t${i}`, scheduler, script, requests);
              const end = (): void => void ended.set(source.id, (ended.get(source.id) ?? 0) + 1);
              scheduler.schedule(() => poller.watch(source).subscribe({ next: (event) => event.type === 'result' && end(), error: end }), joins);
            });
            flush();
          });
          expect(requests.mostTotal).toBeLessThanOrEqual(maxConcurrentRequests);
          const spacing = 1000 / maxRequestsPerSecond;
          const gaps = requests.starts.slice(1).map((time, i) => time - requests.starts[i]!);
          expect(gaps.filter((gap) => gap < spacing - 1e-9)).toEqual([]);
          expect([...ended.values()]).toEqual(tasks.map(() => 1));
          expect(requests.total).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('cancelOnUnsubscribe cancels exactly once when the subscriber leaves before the end, and never after it', () => {
    fc.assert(
      fc.property(answers(true), fc.integer({ min: 0, max: 200 }), fc.constantFrom('direct', 'downstream', 'twice', 'timeout'), (script, leaveAt, placement) => {
        const scheduler = newTestScheduler();
        const requests = newRequests();
        let cancels = 0;
        let endedAt: number | undefined;
        let firstEventAt: number | undefined;
        let timedOutAt: number | undefined;
        scheduler.run(({ flush }) => {
          // Readings come at even times, the subscriber leaves at an odd one: never both at once.
          const even = script.map((answer) => ({ ...answer, latency: answer.latency * 2 + 2 }));
          const source = scripted('task', scheduler, even, requests, () => new Observable<void>((s) => (cancels++, s.complete())));
          const polled = pollTask$(source, withInterval(2));
          const stream =
            placement === 'direct'
              ? polled.pipe(cancelOnUnsubscribe())
              : placement === 'twice'
                ? polled.pipe(cancelOnUnsubscribe(), cancelOnUnsubscribe())
                : placement === 'timeout'
                  ? polled.pipe(cancelOnUnsubscribe(), timeoutAfter<TaskEvent<unknown>>(leaveAt * 2 + 1))
                  : polled.pipe(filter(() => true), cancelOnUnsubscribe());
          const subscription: Subscription = stream.subscribe({
            next: () => (firstEventAt ??= scheduler.now()),
            error: (error: { name?: string }) => {
              if (error.name === 'TaskTimeoutError') timedOutAt = scheduler.now();
              else endedAt = scheduler.now();
            },
            complete: () => (endedAt = scheduler.now()),
          });
          if (placement !== 'timeout') scheduler.schedule(() => subscription.unsubscribe(), leaveAt * 2 + 1);
          flush();
        });
        const left = placement === 'timeout' ? timedOutAt : endedAt === undefined ? leaveAt * 2 + 1 : undefined;
        // Downstream of other operators, only a task whose first event came through is known.
        const known = placement !== 'downstream' || (firstEventAt !== undefined && left !== undefined && firstEventAt < left);
        expect({ left: left !== undefined, cancels }).toEqual({ left: left !== undefined, cancels: left !== undefined && known ? 1 : 0 });
        expect(requests.total).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('nothing is left running: at the instant a wait ends, errors or is left, no timer of its strategy, timeoutAfter or poller is pending and no request is open', () => {
    const timed = fc.oneof(
      fc.record({ ms: fc.integer({ min: 0, max: 50 }), first: fc.integer({ min: 0, max: 30 }), maxWaitMs: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 400 })) }).map(
        ({ ms, first, maxWaitMs }) => ({ name: `withInterval(${ms}, ${first}, ${maxWaitMs})`, make: (scheduler: SchedulerLike): PollStrategy => withInterval(ms, { firstPollDelayMs: first, maxWaitMs, scheduler }) }),
      ),
      fc.integer({ min: 0, max: 40 }).map((initialDelayMs) => ({ name: `withBackoff(${initialDelayMs})`, make: (scheduler: SchedulerLike): PollStrategy => withBackoff({ initialDelayMs, maxDelayMs: 80, scheduler }) })),
      fc.constant({ name: 'withEta()', make: (scheduler: SchedulerLike): PollStrategy => withEta({ minDelayMs: 1, maxDelayMs: 50, finalDelayMs: 5, initialDelayMs: 5, scheduler }) }),
    );
    fc.assert(
      fc.property(timed, answers(true), fc.integer({ min: 0, max: 300 }), fc.constantFrom('alone', 'timeoutAfter', 'poller'), (strategy, script, leaveAt, how) => {
        const scheduler = newTestScheduler(100_000);
        const requests = newRequests();
        const timers = trackingScheduler(scheduler);
        const left: Array<{ timers: number; requests: number }> = [];
        const look = (): void => void left.push({ timers: timers.pending, requests: requests.total });
        scheduler.run(({ flush }) => {
          const source = scripted('task', scheduler, script, requests);
          const events =
            how === 'poller'
              ? createTaskPoller({ strategy: strategy.make(timers), maxRequestsPerSecond: 500, scheduler: timers }).watch(source)
              : pollTask$(source, strategy.make(timers));
          const stream = how === 'timeoutAfter' ? events.pipe(timeoutAfter<TaskEvent<unknown>>({ ms: 150, scheduler: timers })) : events;
          // Looked at in the same instant as the end, before anything the end left behind could fire.
          const subscription = stream.subscribe({ error: () => scheduler.schedule(look), complete: () => scheduler.schedule(look) });
          scheduler.schedule(() => {
            if (subscription.closed) return;
            subscription.unsubscribe();
            look();
          }, leaveAt * 2 + 1);
          flush();
        });
        expect({ strategy: strategy.name, how, left }).toEqual({ strategy: strategy.name, how, left: [{ timers: 0, requests: 0 }] });
      }),
      { numRuns: 500 },
    );
  });

  it('a reading\'s progress is a fraction from 0 to 1 or the wait ends with a SourceContractError naming the source, whatever a plain-JS source puts there', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double(),
          fc.double({ min: 0, max: 1 }),
          fc.constantFrom<unknown>(0, 1, -0, 1 + Number.EPSILON, -Number.MIN_VALUE, 100, NaN, Infinity, '50%', '0.5', null, true, {}, [0.5], 10n, new Number(0.5)),
        ),
        (progress) => {
          const scheduler = newTestScheduler();
          const seen: { progress?: number; error?: unknown } = {};
          scheduler.run(({ flush }) => {
            const source = scriptedSource<unknown>('plain', () => new Observable<TaskReading<unknown>>((s) => (s.next({ ...reading.running(), progress } as TaskReading<unknown>), s.complete())));
            pollTask$(source, withInterval(1)).pipe(timeoutAfter<TaskEvent<unknown>>(1)).subscribe({ next: (event) => (seen.progress = event.snapshot.progress), error: (error: unknown) => (seen.error ??= error) });
            flush();
          });
          if (typeof progress === 'number' && progress >= 0 && progress <= 1) {
            expect(seen.progress).toBe(progress);
          } else {
            expect(seen.error).toBeInstanceOf(SourceContractError);
            expect((seen.error as Error).message.startsWith('Source "plain": reading progress ')).toBe(true);
            expect((seen.error as Error).message.length).toBeLessThan(400);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('taskState never errors: every ending, a bug in the source included, is a state, and the stream completes', () => {
    fc.assert(
      fc.property(strategies, answers(true), (strategy, script) => {
        const scheduler = newTestScheduler(100_000);
        const states: TaskState<unknown>[] = [];
        let errored: unknown;
        let completed = false;
        scheduler.run(({ flush }) => {
          pollTask$(scripted('task', scheduler, script, newRequests()), strategy.make())
            .pipe(timeoutAfter<TaskEvent<unknown>>(5000), taskState())
            .subscribe({ next: (state) => states.push(state), error: (error: unknown) => (errored = error), complete: () => (completed = true) });
          flush();
        });
        expect({ errored, completed }).toEqual({ errored: undefined, completed: true });
        expect(states[0]).toEqual({ state: 'active' });
        expect(['succeeded', 'failed']).toContain(states.at(-1)!.state);
      }),
      { numRuns: 300 },
    );
  });
});
