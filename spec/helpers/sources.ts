import { EMPTY, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { TaskEvent, TaskReading, TaskSource } from '../../lib/index.js';

/**
 * A TestScheduler whose assertions are jest's `toEqual`, and whose `run` stops virtual time at `maxFrames`
 * (by default a little over an hour), so a loop that never ends fails its test instead of hanging the suite.
 */
export function newTestScheduler(maxFrames = 4_000_000): TestScheduler {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  const run = scheduler.run.bind(scheduler);
  scheduler.run = <T>(callback: Parameters<TestScheduler['run']>[0]): T =>
    run((helpers) => {
      scheduler.maxFrames = maxFrames;
      return callback(helpers) as T;
    });
  return scheduler;
}

/** A hand-made source for tests, with counters for what was asked of it. */
export interface ScriptedSource<R> extends TaskSource<R> {
  /** How many times read() was called. */
  readonly reads: number;
  /** How many times cancel() was subscribed. */
  readonly cancels: number;
}

/**
 * A source whose n-th read() (0-based) returns `script(n)`. `result` and `cancel` are added when given; a
 * cancel counts each subscription and then answers with `cancel()`'s Observable (default: completes at once).
 */
export function scriptedSource<R>(
  id: string,
  script: (call: number) => Observable<TaskReading<R>>,
  more: { result?: (last: TaskReading<R>) => Observable<R>; cancel?: () => Observable<void> } = {},
): ScriptedSource<R> {
  let reads = 0;
  let cancels = 0;
  const source: { -readonly [K in keyof TaskSource<R>]: TaskSource<R>[K] } & { readonly reads: number; readonly cancels: number } = {
    id,
    read: () => script(reads++),
    get reads() {
      return reads;
    },
    get cancels() {
      return cancels;
    },
  };
  if (more.result) source.result = more.result;
  if (more.cancel) {
    const cancel = more.cancel;
    source.cancel = () =>
      new Observable<void>((subscriber) => {
        cancels++;
        return cancel().subscribe(subscriber);
      });
  }
  return source;
}

/** A source that reads `readings[n]` on its n-th read, each after `latency` ms; the last one repeats. */
export function sequenceSource<R>(
  id: string,
  scheduler: TestScheduler,
  readings: readonly TaskReading<R>[],
  latency = 1,
  more: { cancel?: () => Observable<void>; result?: (last: TaskReading<R>) => Observable<R> } = {},
): ScriptedSource<R> {
  const m = `${'-'.repeat(latency)}(a|)`;
  return scriptedSource(
    id,
    (call) => scheduler.createColdObservable(m, { a: readings[Math.min(call, readings.length - 1)] as TaskReading<R> }),
    { cancel: more.cancel ?? (() => EMPTY), ...(more.result ? { result: more.result } : {}) },
  );
}

/** A compact view of an event, for marble expectations. */
export interface EventSummary {
  type: 'progress' | 'result';
  status: string;
  polls: number;
  at: number;
  progress?: number | undefined;
  result?: unknown;
}

/** Summarises an event: type, status, polls, elapsed time, progress and result. */
export function summary(event: TaskEvent<unknown>): EventSummary {
  const { snapshot } = event;
  const base: EventSummary = { type: event.type, status: snapshot.runStatus, polls: snapshot.polls, at: snapshot.elapsedMs };
  if (snapshot.progress !== undefined) base.progress = snapshot.progress;
  if (event.type === 'result') base.result = event.result;
  return base;
}

/**
 * Wraps a scheduler and counts the actions it still holds (scheduled, not yet run nor cancelled), so tests
 * can assert that nothing is left behind.
 */
export function trackingScheduler(inner: SchedulerLike): SchedulerLike & { readonly pending: number; readonly scheduled: number[] } {
  const live = new Set<Subscription>();
  const scheduled: number[] = [];
  return {
    now: () => inner.now(),
    schedule(work, delay = 0, state) {
      scheduled.push(delay);
      const subscription: Subscription = inner.schedule(
        function (this: unknown, s) {
          live.delete(subscription);
          (work as (this: unknown, s: unknown) => void).call(this, s);
        },
        delay,
        state,
      );
      live.add(subscription);
      subscription.add(() => live.delete(subscription));
      return subscription;
    },
    get pending() {
      return live.size;
    },
    scheduled,
  } as SchedulerLike & { readonly pending: number; readonly scheduled: number[] };
}
