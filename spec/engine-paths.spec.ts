// A strategy with a plan (withInterval, withBackoff, withEta) runs one loop wherever it is placed: given to
// pollTask$, the engine runs it on the source's reads; wrapped in a user's operator, the strategy runs the same
// loop over the one-reading stream the engine gives that operator. And toResult() placed directly on pollTask$
// returns the stream's results() instead of subscribing in between. The placement must not change what a
// wait does: every test here runs the same scenario both ways and expects the same outcome.
import { config, map, Observable, of, take, throwError, timer } from 'rxjs';
import {
  TaskTimeoutError,
  TransportError,
  cancelOnUnsubscribe,
  createTaskPoller,
  pollTask$,
  toResult,
  withBackoff,
  withEta,
  withInterval,
  type PollStrategy,
  type TaskEvent,
  type TaskReading,
} from '../lib/index.js';
import { reading } from './helpers/readings.js';
import { newTestScheduler, scriptedSource, trackingScheduler } from './helpers/sources.js';

/** The same strategy wrapped in a plain operator: the engine sees no plan, and applies it to the one-reading stream. */
const asOperator =
  (strategy: PollStrategy): PollStrategy =>
  (readings) =>
    strategy(readings);

const retryable = (retryAfterMs?: number): TransportError =>
  new TransportError('503 from the service', { retryable: true, status: 503, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

/** One status request answering `answer` after `latency` ms (0: synchronously, inside the timer's action). */
type Answer = TaskReading<string> | Error | 'two readings' | 'no reading' | 'not an Observable' | 'throws';

function request(answer: Answer, latency: number): Observable<TaskReading<string>> {
  const now = (): Observable<TaskReading<string>> => {
    if (answer === 'two readings') return of(reading.running(), reading.running());
    if (answer === 'no reading') return of();
    if (answer instanceof Error) return throwError(() => answer);
    return of(answer as TaskReading<string>);
  };
  return latency === 0 ? now() : new Observable((subscriber) => timer(latency).subscribe(() => now().subscribe(subscriber)));
}

interface Outcome {
  /** What arrived, with the virtual time it arrived at. */
  log: string[];
  error?: { name: string; message: string; lastSnapshot?: unknown };
  reads: number[];
}

/** Runs `answers` (the last repeats) through pollTask$ with `strategy`, on virtual time, and reports. */
function run(answers: Answer[], strategy: PollStrategy, options: { latency: number; resultOnly?: boolean; fused: boolean }): Outcome {
  const scheduler = newTestScheduler();
  return scheduler.run(({ flush }) => {
    const out: Outcome = { log: [], reads: [] };
    const source = scriptedSource<string>('t-1', (call) => {
      out.reads.push(scheduler.now());
      const answer = answers[Math.min(call, answers.length - 1)]!;
      if (answer === 'not an Observable') return 42 as unknown as Observable<TaskReading<string>>;
      if (answer === 'throws') throw retryable();
      return request(answer, options.latency);
    });
    const events = pollTask$(source, options.fused ? strategy : asOperator(strategy));
    // map() in between keeps toResult() from reaching the engine: the general path.
    const stream: Observable<unknown> = options.resultOnly
      ? options.fused
        ? events.pipe(toResult())
        : events.pipe(map((event: TaskEvent<string>) => event), toResult())
      : events.pipe(map((event) => `${event.type} ${event.snapshot.runStatus} #${event.snapshot.polls} ${event.snapshot.elapsedMs}ms`));
    stream.subscribe({
      next: (value) => out.log.push(`${scheduler.now()}: ${String(value)}`),
      error: (error: Error & { lastSnapshot?: unknown }) => {
        out.error = { name: error.name, message: error.message, lastSnapshot: error.lastSnapshot };
        out.log.push(`${scheduler.now()}: error`);
      },
      complete: () => out.log.push(`${scheduler.now()}: complete`),
    });
    flush();
    return out;
  });
}

const succeeded = reading.succeeded('report');

const scenarios: ReadonlyArray<[string, Answer[], () => PollStrategy]> = [
  ['a task that succeeds on the third reading', [reading.running(0.2), reading.running(0.6), succeeded], () => withInterval(10)],
  ['a growing backoff', [reading.pending(), reading.running(), reading.running(), reading.running(), succeeded], () => withBackoff({ initialDelayMs: 10, factor: 2, jitter: 0 })],
  ['a backoff resumed at its fourth wait', [reading.running(), reading.running(), succeeded], () => withBackoff({ initialDelayMs: 10, factor: 2, jitter: 0, startAtWait: 4 })],
  ['retried errors, then success', [retryable(), retryable(), reading.running(), succeeded], () => withInterval(5)],
  ['a Retry-After hint on an error', [retryable(40), succeeded], () => withInterval(5)],
  ['a Retry-After hint on a reading', [reading.running(0.5, { retryAfterMs: 30 }), succeeded], () => withInterval(5)],
  ['too many errors in a row', [retryable()], () => withInterval(5, { maxConsecutiveErrors: 2 })],
  ['an error that is not retried', [reading.running(), new Error('bad request')], () => withInterval(5)],
  ['a retry test that throws', [retryable()], () => withInterval(5, { isRetryable: () => { throw new Error('predicate broke'); } })],
  ['the time limit of the strategy', [reading.running(0.1)], () => withInterval(10, { maxWaitMs: 35 })],
  ['a first delay', [reading.running(), succeeded], () => withInterval(10, { firstPollDelayMs: 7 })],
  ['a failed task', [reading.running(), reading.failed({ code: 'E1', message: 'broke' })], () => withInterval(10)],
  ['a canceled task', [reading.canceling(), reading.canceled()], () => withInterval(10)],
  ['a read() that throws (retried like a failed request)', ['throws', succeeded], () => withInterval(5)],
  ['a request with two readings', [reading.running(), 'two readings'], () => withInterval(5)],
  ['a request without a reading', ['no reading'], () => withInterval(5)],
  ['a read() that returns no Observable', ['not an Observable'], () => withInterval(5)],
  ['withEta on steady progress', [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((p) => reading.running(p) as Answer).concat([succeeded]), () => withEta({ initialDelayMs: 10, minDelayMs: 5, finalDelayMs: 5, random: () => 0.5 })],
];

describe('the engine runs a built-in strategy on the source exactly as the strategy does as an operator', () => {
  for (const latency of [0, 3]) {
    describe(latency === 0 ? 'with synchronous requests' : `with requests taking ${latency} ms`, () => {
      it.each(scenarios)('%s', (_, answers, strategy) => {
        const fused = run(answers, strategy(), { latency, fused: true });
        const general = run(answers, strategy(), { latency, fused: false });
        expect(fused).toEqual(general);
        // The scenario ends, one way or the other, and asked at least once.
        expect(fused.log[fused.log.length - 1]).toMatch(/complete|error/);
        expect(fused.reads.length).toBeGreaterThan(0);
      });
    });
  }

  it('gives the time-limit error its snapshot, with the reads on schedule and the last one before the limit', () => {
    const fused = run([reading.running(0.1)], withInterval(10, { maxWaitMs: 35 }), { latency: 0, fused: true });
    expect(fused.error?.name).toBe('TaskTimeoutError');
    expect(fused.error?.lastSnapshot).toMatchObject({ polls: 5, progress: 0.1 });
    // 40 would be past the limit: one last read a twentieth of the limit before it.
    expect(fused.reads).toEqual([0, 10, 20, 30, 35 - 35 / 20]);
  });
});

describe('toResult() directly on pollTask$ gives what it gives on any other stream of events', () => {
  for (const latency of [0, 3]) {
    it.each(scenarios)(`%s (requests taking ${latency} ms)`, (_, answers, strategy) => {
      expect(run(answers, strategy(), { latency, fused: true, resultOnly: true })).toEqual(
        run(answers, strategy(), { latency, fused: false, resultOnly: true }),
      );
    });
  }

  it('fills the snapshot of a time-limit error, which no event carried', () => {
    const out = run([reading.running(0.3)], withInterval(10, { maxWaitMs: 25 }), { latency: 0, fused: true, resultOnly: true });
    expect(out.error?.name).toBe(TaskTimeoutError.name);
    expect(out.error?.lastSnapshot).toMatchObject({ taskId: 't-1', runStatus: 'running', progress: 0.3, polls: 4, elapsedMs: 25 - 25 / 20 });
    expect(out.log).toEqual(['25: error']);
  });

  it('still cancels on unsubscribe when cancelOnUnsubscribe() came first', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      let cancels = 0;
      const source = scriptedSource<string>('t-1', () => of(reading.running()), {
        cancel: () => new Observable<void>((subscriber) => {
          cancels++;
          subscriber.complete();
        }),
      });
      const subscription = pollTask$(source, withInterval(10)).pipe(cancelOnUnsubscribe(), toResult()).subscribe();
      scheduler.schedule(() => subscription.unsubscribe(), 25);
      flush();
      expect(cancels).toBe(1);
      expect(source.reads).toBe(3);
    });
  });
});

describe('a loop stopped while a synchronous reading is delivered', () => {
  it('unsubscribes the request that is still open and asks nothing more', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      let open = 0;
      // The first request answers at once; the second emits its reading at once and never completes.
      const source = scriptedSource<string>('t-1', (call) =>
        call === 0
          ? of(reading.running())
          : new Observable<TaskReading<string>>((subscriber) => {
              open++;
              subscriber.next(reading.running());
              return () => open--;
            }),
      );
      const seen: number[] = [];
      // The second reading comes inside the timer's action, while the run's teardown is in place.
      pollTask$(source, withInterval(10)).pipe(take(2)).subscribe((event) => seen.push(event.snapshot.polls));
      flush();
      expect(seen).toEqual([1, 2]);
      expect(open).toBe(0);
      expect(source.reads).toBe(2);
    });
  });

  it('keeps a poller from polling on for a watcher that left on the first event', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const source = scriptedSource<string>('t-1', () => of(reading.running()));
      const poller = createTaskPoller({ strategy: withInterval(10) });
      poller.watch(source).pipe(take(1)).subscribe();
      scheduler.schedule(() => undefined, 100);
      flush();
      expect(source.reads).toBe(1);
      expect(poller.stats()).toMatchObject({ polling: 0, watchers: 0 });
    });
  });

  it('leaves a poller with no loop for a task that ended while its loop started', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const source = scriptedSource<string>('t-1', () => of(succeeded));
      const poller = createTaskPoller({ strategy: withInterval(10) });
      const results: unknown[] = [];
      poller.watch(source).subscribe((event) => results.push(event.type === 'result' ? event.result : event.type));
      flush();
      expect(results).toEqual(['report']);
      expect(poller.stats()).toMatchObject({ polling: 0, finished: 1, watchers: 0 });
    });
  });
});

describe('a wait answered inside its timer', () => {
  it('schedules every next wait through the scheduler it was given, even one that wraps another', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      // Wraps the test scheduler, as the CLI's next-poll clock does; the source answers synchronously, inside
      // the timer's action, where a loop may reschedule that action instead of asking its scheduler.
      const timers = trackingScheduler(scheduler);
      const source = scriptedSource<string>('t-1', (call) => of(call < 4 ? reading.running() : succeeded));
      pollTask$(source, withInterval(10, { scheduler: timers })).subscribe();
      flush();
      expect(timers.scheduled).toEqual([10, 10, 10, 10]);
      expect(timers.pending).toBe(0);
    });
  });
});

describe("RxJS's deprecated useDeprecatedNextContext", () => {
  afterEach(() => {
    config.useDeprecatedNextContext = false;
  });

  it('changes nothing: the observers keep their state on themselves', () => {
    const answers = [reading.running(0.5), retryable(), reading.running(0.7), succeeded];
    const before = run(answers, withInterval(5), { latency: 0, fused: true, resultOnly: true });
    const beforeEvents = run(answers, withInterval(5), { latency: 3, fused: true });
    const beforeGeneral = run(answers, withInterval(5), { latency: 3, fused: false, resultOnly: true });
    config.useDeprecatedNextContext = true;
    expect(run(answers, withInterval(5), { latency: 0, fused: true, resultOnly: true })).toEqual(before);
    expect(run(answers, withInterval(5), { latency: 3, fused: true })).toEqual(beforeEvents);
    expect(run(answers, withInterval(5), { latency: 3, fused: false, resultOnly: true })).toEqual(beforeGeneral);
    expect(before.log).toEqual(['15: report', '15: complete']);
  });
});
