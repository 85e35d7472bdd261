import { EMPTY, map, Observable, take, type Subscription } from 'rxjs';
import {
  TaskFailedError,
  cancelOnUnsubscribe,
  createTaskPoller,
  pollAll$,
  taskState,
  timeoutAfter,
  withInterval,
  type TaskReading,
  type TaskSource,
} from '../../lib/index.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler, scriptedSource, sequenceSource, trackingScheduler } from '../helpers/sources.js';

describe('createTaskPoller', () => {
  it('sends one request per task per poll cycle, however many watch: 1,000 subscribers to 100 tasks', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const poller = createTaskPoller({ strategy: withInterval(10) });
      const sources = Array.from({ length: 100 }, (_, i) => sequenceSource(`t${i}`, scheduler, [reading.running()]));
      const subscriptions: Subscription[] = [];
      for (let watcher = 0; watcher < 1000; watcher++) subscriptions.push(poller.watch(sources[watcher % 100]!).subscribe());
      // Reads at 0, 11, 22, 33, 44: five cycles by frame 50.
      scheduler.schedule(() => subscriptions.forEach((s) => s.unsubscribe()), 50);
      flush();
      expect(new Set(sources.map((s) => s.reads))).toEqual(new Set([5]));
      expect(poller.stats()).toMatchObject({ sent: 500, inFlight: 0, queued: 0, polling: 0, watchers: 0 });
    });
  });

  it('gives a late subscriber the latest event at once', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const poller = createTaskPoller({ strategy: withInterval(10) });
      const source = sequenceSource('t', scheduler, [reading.running(0.2), reading.running(0.4), reading.running(0.6)]);
      const first = poller.watch(source).subscribe();
      let late: number | undefined;
      scheduler.schedule(() => {
        poller.watch(source).pipe(take(1)).subscribe((e) => (late = e.snapshot.progress));
        expect(late).toBe(0.4); // synchronously, at subscribe
      }, 15);
      scheduler.schedule(() => first.unsubscribe(), 30);
      flush();
      expect(source.reads).toBe(3);
    });
  });

  it('stops the loop when the last subscriber leaves and lets the task go; the next watcher polls anew', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectSubscriptions, flush }) => {
      const timers = trackingScheduler(scheduler);
      const request = cold('--(a|)', { a: reading.running() });
      const poller = createTaskPoller({ strategy: withInterval(3, { scheduler: timers }) });
      const source = scriptedSource('t', () => request);
      const a = poller.watch(source).subscribe();
      const b = poller.watch(source).subscribe();
      scheduler.schedule(() => a.unsubscribe(), 4);
      scheduler.schedule(() => b.unsubscribe(), 6);
      scheduler.schedule(() => expect(poller.stats()).toMatchObject({ tasks: 0, polling: 0 }), 7);
      scheduler.schedule(() => poller.watch(source).pipe(take(1)).subscribe(), 20);
      flush();
      // Nothing was kept of the stopped task: the watcher at 20 gets a new reading, then leaves on it.
      expectSubscriptions(request.subscriptions).toBe(['^-!', '-----^!', '--------------------^-!']);
      expect(timers.pending).toBe(0);
      expect(poller.stats()).toMatchObject({ tasks: 0, polling: 0, watchers: 0 });
    });
  });

  it('replays the result to watchers who come after the end, without asking again', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const poller = createTaskPoller({ strategy: withInterval(1) });
      const source = sequenceSource('t', scheduler, [reading.running(), reading.succeeded('R')]);
      poller.watch(source).subscribe();
      let replayed: unknown;
      let completed = false;
      scheduler.schedule(() => poller.watch(source).subscribe({ next: (e) => (replayed = e.type === 'result' ? e.result : e.type), complete: () => (completed = true) }), 50);
      flush();
      expect(replayed).toBe('R');
      expect(completed).toBe(true);
      expect(source.reads).toBe(2);
      expect(poller.stats()).toMatchObject({ finished: 1, polling: 0 });
    });
  });

  it('keeps the result of a task whose last watcher left on it, for replay', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const poller = createTaskPoller({ strategy: withInterval(1) });
      const source = sequenceSource('t', scheduler, [reading.running(), reading.succeeded('R')]);
      // take(2) leaves inside the result's delivery, before the loop completes.
      poller.watch(source).pipe(take(2)).subscribe();
      flush();
      expect(poller.stats()).toMatchObject({ tasks: 1, finished: 1, polling: 0, watchers: 0 });
      let replayed: unknown;
      poller.watch(source).subscribe((e) => (replayed = e.type === 'result' ? e.result : e.type));
      expect(replayed).toBe('R');
      expect(source.reads).toBe(2);
    });
  });

  it('lets a forgotten task go, but not a watched one', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const poller = createTaskPoller({ strategy: withInterval(1) });
      const done = sequenceSource('done', scheduler, [reading.succeeded(1)]);
      const running = sequenceSource('running', scheduler, [reading.running()]);
      poller.watch(done).subscribe();
      const watching = poller.watch(running).subscribe();
      scheduler.schedule(() => {
        expect(poller.stats()).toMatchObject({ tasks: 2, finished: 1, polling: 1 });
        poller.forget('done');
        poller.forget('running');
        expect(poller.stats()).toMatchObject({ tasks: 1, finished: 0, polling: 1 });
        watching.unsubscribe();
        expect(poller.stats()).toMatchObject({ tasks: 0, polling: 0 });
      }, 5);
      flush();
    });
  });

  it('replays a failure too, until the task is forgotten', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const poller = createTaskPoller();
      const source = sequenceSource('t', scheduler, [reading.failed({ code: 'E' })]);
      poller.watch(source).subscribe({ error: () => undefined });
      const errors: unknown[] = [];
      scheduler.schedule(() => poller.watch(source).subscribe({ error: (e: unknown) => errors.push(e) }), 10);
      scheduler.schedule(() => {
        poller.forget('t');
        poller.watch(source).subscribe({ error: (e: unknown) => errors.push(e) });
      }, 20);
      flush();
      expect(errors.map((e) => e instanceof TaskFailedError)).toEqual([true, true]);
      expect(source.reads).toBe(2);
    });
  });

  describe('with cancelOnUnsubscribe', () => {
    function watchers(scheduler: ReturnType<typeof newTestScheduler>) {
      const poller = createTaskPoller({ strategy: withInterval(2) });
      const source = sequenceSource('job', scheduler, [reading.running()]);
      return { poller, source };
    }

    it('does not cancel while another watcher still watches, and cancels when the last one (who asked) leaves', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const { poller, source } = watchers(scheduler);
        const a = poller.watch(source).pipe(cancelOnUnsubscribe()).subscribe();
        const b = poller.watch(source).pipe(cancelOnUnsubscribe()).subscribe();
        scheduler.schedule(() => a.unsubscribe(), 3);
        scheduler.schedule(() => expect(source.cancels).toBe(0), 4);
        scheduler.schedule(() => b.unsubscribe(), 6);
        flush();
        expect(source.cancels).toBe(1);
      });
    });

    it('lets the last watcher decide: one that did not ask leaves the job running', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const { poller, source } = watchers(scheduler);
        const asking = poller.watch(source).pipe(cancelOnUnsubscribe()).subscribe();
        const watching = poller.watch(source).subscribe();
        scheduler.schedule(() => asking.unsubscribe(), 3);
        scheduler.schedule(() => watching.unsubscribe(), 6);
        flush();
        expect(source.cancels).toBe(0);
      });
    });

    it('never cancels a finished task', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const poller = createTaskPoller({ strategy: withInterval(1) });
        const source = sequenceSource('job', scheduler, [reading.succeeded(1)]);
        const watcher = poller.watch(source).pipe(cancelOnUnsubscribe()).subscribe();
        scheduler.schedule(() => watcher.unsubscribe(), 5);
        flush();
        expect(source.cancels).toBe(0);
      });
    });

    it('does not cancel a task whose watcher leaves on its result, before the stream completes', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const poller = createTaskPoller({ strategy: withInterval(1) });
        const source = sequenceSource('job', scheduler, [reading.running(), reading.succeeded(1)]);
        const results: unknown[] = [];
        // take(2) leaves inside the result's delivery, while the loop has not completed yet.
        poller.watch(source).pipe(cancelOnUnsubscribe(), take(2)).subscribe((event) => results.push(event.type));
        flush();
        expect(results).toEqual(['progress', 'result']);
        expect(source.cancels).toBe(0);
      });
    });
  });

  describe('the request budget', () => {
    /** Sources whose reads take `latency` ms, counting how many are in flight at once. */
    function counted(scheduler: ReturnType<typeof newTestScheduler>, count: number, latency: number, readsToFinish: number) {
      const state = { inFlight: 0, most: 0, starts: [] as Array<[string, number]> };
      const sources = Array.from({ length: count }, (_, i) =>
        scriptedSource(`t${i}`, (call) =>
          new Observable<TaskReading<string>>((subscriber) => {
            state.inFlight++;
            state.most = Math.max(state.most, state.inFlight);
            state.starts.push([`t${i}`, scheduler.now()]);
            let answered = false;
            const timer = scheduler.schedule(() => {
              answered = true;
              state.inFlight--;
              subscriber.next(call + 1 >= readsToFinish ? reading.succeeded(`r${i}`) : reading.running());
              subscriber.complete();
            }, latency);
            return () => {
              if (!answered) state.inFlight--;
              timer.unsubscribe();
            };
          }),
        ),
      );
      return { state, sources };
    }

    it('never has more than maxConcurrentRequests in flight, and every task still finishes', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const { state, sources } = counted(scheduler, 20, 5, 3);
        const poller = createTaskPoller({ strategy: withInterval(1), maxConcurrentRequests: 4 });
        const results: string[] = [];
        let queuedSeen = 0;
        for (const source of sources) poller.watch(source).subscribe((e) => e.type === 'result' && results.push(e.result));
        scheduler.schedule(() => (queuedSeen = poller.stats().queued), 1);
        flush();
        expect(state.most).toBe(4);
        expect(results.sort()).toEqual(sources.map((_, i) => `r${i}`).sort());
        expect(queuedSeen).toBe(16);
        expect(poller.stats()).toMatchObject({ inFlight: 0, queued: 0, sent: 60 });
      });
    });

    it('serves the queue first come first served, so no task starves', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const { state, sources } = counted(scheduler, 3, 4, 4);
        const poller = createTaskPoller({ strategy: withInterval(0), maxConcurrentRequests: 1 });
        for (const source of sources) poller.watch(source).subscribe();
        flush();
        expect(state.starts.map(([id]) => id)).toEqual(['t0', 't1', 't2', 't0', 't1', 't2', 't0', 't1', 't2', 't0', 't1', 't2']);
      });
    });

    it('spreads starts at least 1000 / maxRequestsPerSecond ms apart', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const { state, sources } = counted(scheduler, 5, 1, 2);
        const poller = createTaskPoller({ strategy: withInterval(0), maxRequestsPerSecond: 10, scheduler });
        for (const source of sources) poller.watch(source).subscribe();
        flush();
        const times = state.starts.map(([, time]) => time);
        expect(times).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
      });
    });

    it('counts result fetches and cancels in the budget too', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ cold, flush }) => {
        const poller = createTaskPoller({ maxConcurrentRequests: 1 });
        const source: TaskSource<string> = sequenceSource('t', scheduler, [reading.succeeded<string>()], 1, { result: () => cold('-(r|)', { r: 'fetched' }) });
        let result: unknown;
        poller.watch(source).subscribe((e) => e.type === 'result' && (result = e.result));
        flush();
        expect(result).toBe('fetched');
        expect(poller.stats().sent).toBe(2);
      });
    });
  });

  it('works with the core operators unchanged', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable }) => {
      const poller = createTaskPoller({ strategy: withInterval(1) });
      const source = sequenceSource('t', scheduler, [reading.running(0.5)]);
      const states = poller.watch(source).pipe(timeoutAfter(4), taskState(), map((s) => (s.state === 'failed' ? (s.error as Error).name : s.state)));
      expectObservable(states).toBe('ab-b(c|)', { a: 'active', b: 'active', c: 'TaskTimeoutError' });
    });
  });

  it('shares its loops with pollAll$', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const poller = createTaskPoller({ strategy: withInterval(1) });
      const a = sequenceSource('a', scheduler, [reading.running(), reading.succeeded('A')]);
      const b = sequenceSource('b', scheduler, [reading.running(), reading.running(), reading.succeeded('B')]);
      poller.watch(a).subscribe();
      let results: unknown;
      pollAll$([a, b], { poller }).subscribe((e) => e.type === 'result' && (results = e.results));
      flush();
      expect(results).toEqual(['A', 'B']);
      expect([a.reads, b.reads]).toEqual([2, 3]);
    });
  });

  it('cancels a batch\'s tasks through the poller, only those nobody else watches', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const poller = createTaskPoller({ strategy: withInterval(1) });
      const shared = sequenceSource('shared', scheduler, [reading.running()]);
      const alone = sequenceSource('alone', scheduler, [reading.running()]);
      const queued = scriptedSource('queued', () => EMPTY, { cancel: () => EMPTY });
      const other = poller.watch(shared).subscribe();
      const batch = pollAll$([shared, alone, queued], { poller, concurrency: 2 }).pipe(cancelOnUnsubscribe()).subscribe();
      scheduler.schedule(() => batch.unsubscribe(), 5);
      scheduler.schedule(() => other.unsubscribe(), 8);
      flush();
      expect([shared.cancels, alone.cancels, queued.cancels]).toEqual([0, 1, 1]);
    });
  });

  it('forgets the oldest finished tasks past retainFinished', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const poller = createTaskPoller({ retainFinished: 2 });
      const sources = ['a', 'b', 'c'].map((id) => sequenceSource(id, scheduler, [reading.succeeded(id)]));
      for (const source of sources) poller.watch(source).subscribe();
      flush();
      expect(poller.stats()).toMatchObject({ tasks: 2, finished: 2 });
      poller.watch(sources[0]!).subscribe();
      flush();
      expect(sources.map((s) => s.reads)).toEqual([2, 1, 1]);
    });
  });

  it.each([
    [{ maxConcurrentRequests: 0 }, 'createTaskPoller: option "maxConcurrentRequests" must be a whole number of at least 1 (or Infinity), but was 0.'],
    [{ maxRequestsPerSecond: 0 }, 'createTaskPoller: option "maxRequestsPerSecond" must be above 0 (or Infinity), but was 0.'],
    [{ strategy: 500 }, 'createTaskPoller: option "strategy" must be an operator function such as withBackoff(), but was number.'],
    [{ concurrency: 4 }, 'createTaskPoller: unknown option "concurrency"; the options are strategy, maxConcurrentRequests, maxRequestsPerSecond, retainFinished, scheduler.'],
  ])('throws a TypeError for %p', (config, message) => {
    expect(() => createTaskPoller(config as never)).toThrow(new TypeError(message));
  });

  it('throws a TypeError for a watch of something that is not a source', () => {
    expect(() => createTaskPoller().watch({ id: 'x' } as never)).toThrow(
      new TypeError('poller.watch: the TaskSource "x" has no read() function; a source must read the task\'s status once per call.'),
    );
  });
});
