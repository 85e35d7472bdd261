import { EMPTY, filter, map, NEVER, type Observable } from 'rxjs';
import {
  TaskFailedError,
  TaskTimeoutError,
  cancelOnUnsubscribe,
  pollAll$,
  timeoutAfter,
  withInterval,
  type PollAllEvent,
  type TaskReading,
} from '../../lib/index.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler, scriptedSource, sequenceSource, trackingScheduler } from '../helpers/sources.js';
import type { TestScheduler } from 'rxjs/testing';

/** A source that reads `n - 1` running readings with progress, then succeeds with `result`. */
function task(scheduler: TestScheduler, id: string, n: number, result: string, latency = 1) {
  const readings: TaskReading<string>[] = [];
  for (let i = 1; i < n; i++) readings.push(reading.running(i / n));
  readings.push(reading.succeeded(result));
  return sequenceSource(id, scheduler, readings, latency);
}

function collect<T>(stream: Observable<T>, flush: () => void): { events: T[]; error?: unknown; completed: boolean } {
  const out: { events: T[]; error?: unknown; completed: boolean } = { events: [], completed: false };
  stream.subscribe({ next: (e) => out.events.push(e), error: (e: unknown) => (out.error = e), complete: () => (out.completed = true) });
  flush();
  return out;
}

describe('pollAll$', () => {
  it('reports the batch after every reading and ends with the results in input order', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const slow = task(scheduler, 'slow', 3, 'S');
      const fast = task(scheduler, 'fast', 1, 'F');
      const out = collect(pollAll$([slow, fast], { strategy: withInterval(1) }), flush);
      expect(out.completed).toBe(true);
      const last = out.events.at(-1) as Extract<PollAllEvent<string>, { type: 'result' }>;
      expect(last).toMatchObject({ type: 'result', results: ['S', 'F'], progress: 1, done: 2, total: 2 });
      const progress = out.events.filter((e) => e.type === 'progress').map((e) => [e.type === 'progress' ? e.task.id : '', e.progress, e.done]);
      expect(progress).toEqual([
        ['slow', 1 / 6, 0], // slow at 1/3, fast not yet read
        ['fast', (1 / 3 + 1) / 2, 1],
        ['slow', (2 / 3 + 1) / 2, 1],
        ['slow', 1, 2],
      ]);
      expect([...last.tasks.keys()].sort()).toEqual(['fast', 'slow']);
    });
  });

  it('keeps a finished task at full progress, so progress never drops below the finished share', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const sources = [task(scheduler, 'a', 2, 'A'), task(scheduler, 'b', 5, 'B'), task(scheduler, 'c', 3, 'C')];
      const out = collect(pollAll$(sources, { strategy: withInterval(1) }), flush);
      for (const event of out.events) expect(event.progress).toBeGreaterThanOrEqual(event.done / event.total);
      const dones = out.events.map((e) => e.done);
      expect(dones).toEqual([...dones].sort((x, y) => x - y));
    });
  });

  it('polls at most `concurrency` tasks at once, the rest in input order', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectSubscriptions, flush }) => {
      const requests = ['a', 'b', 'c'].map(() => cold('--(r|)', { r: reading.succeeded('x') }));
      const sources = requests.map((request, i) => scriptedSource(`t${i}`, () => request));
      collect(pollAll$(sources, { concurrency: 1 }), flush);
      expectSubscriptions(requests[0]!.subscriptions).toBe('^-!');
      expectSubscriptions(requests[1]!.subscriptions).toBe('--^-!');
      expectSubscriptions(requests[2]!.subscriptions).toBe('----^-!');
    });
  });

  it('errors with the first failure in fail-fast mode and stops polling the rest', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectSubscriptions, flush }) => {
      const timers = trackingScheduler(scheduler);
      const long = cold('-----(r|)', { r: reading.running() });
      const failing = sequenceSource('bad', scheduler, [reading.failed({ code: 'E1' })], 2);
      const out = collect(pollAll$([scriptedSource('long', () => long), failing], { strategy: withInterval(1, { scheduler: timers }) }), flush);
      expect(out.error).toBeInstanceOf(TaskFailedError);
      expect((out.error as TaskFailedError).taskId).toBe('bad');
      expectSubscriptions(long.subscriptions).toBe('^-!');
      expect(timers.pending).toBe(0);
    });
  });

  it('waits for every task in settle mode and reports how each ended', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const sources = [task(scheduler, 'ok', 2, 'fine'), sequenceSource('bad', scheduler, [reading.failed({ code: 'E1', message: 'nope' })])];
      const out = collect(pollAll$(sources, { mode: 'settle', strategy: withInterval(1) }), flush);
      const last = out.events.at(-1)!;
      expect(last.type).toBe('result');
      if (last.type !== 'result') return;
      expect(last.results[0]).toStrictEqual({ ok: true, result: 'fine', snapshot: last.tasks.get('ok') });
      expect(last.results[0]!.snapshot).toMatchObject({ runStatus: 'succeeded', polls: 2 });
      expect(last.results[1]).toStrictEqual({ ok: false, error: expect.any(TaskFailedError), snapshot: last.tasks.get('bad') });
      expect(last.results[1]!.snapshot).toBe((last.results[1]!.error as TaskFailedError).snapshot);
      expect(last.tasks.get('bad')?.runStatus).toBe('failed');
      expect(last.done).toBe(2);
    });
  });

  it('completes at once with no results for an empty list', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable }) => {
      expectObservable(pollAll$([]).pipe(map((e) => e.type === 'result' && e.results.length))).toBe('(r|)', { r: 0 });
    });
  });

  describe('with cancelOnUnsubscribe', () => {
    it('cancels every unfinished task when the subscriber leaves, queued ones included', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const done = sequenceSource('done', scheduler, [reading.succeeded(1)]);
        const running = sequenceSource('running', scheduler, [reading.running()], 3);
        const queued = scriptedSource('queued', () => NEVER, { cancel: () => EMPTY });
        const batch = pollAll$([done, running, queued], { concurrency: 2, strategy: withInterval(1) }).pipe(cancelOnUnsubscribe());
        const seen: number[] = [];
        const subscription = batch.subscribe((e) => seen.push(e.done));
        scheduler.schedule(() => subscription.unsubscribe(), 2);
        flush();
        // "done" finished at 1 and "queued" took its place, while "running" still awaited its first answer.
        expect(seen).toEqual([1]);
        expect([done.cancels, running.cancels, queued.cancels]).toEqual([0, 1, 1]);
      });
    });

    it('cancels nothing after a fail-fast error or the end', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ flush }) => {
        const running = sequenceSource('running', scheduler, [reading.running()]);
        const bad = sequenceSource('bad', scheduler, [reading.failed()], 3);
        collect(pollAll$([running, bad], { strategy: withInterval(1) }).pipe(cancelOnUnsubscribe()), flush);
        expect([running.cancels, bad.cancels]).toEqual([0, 0]);
      });
    });

    it('cancels the tasks it saw when operators stand between', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ expectObservable, flush }) => {
        const a = sequenceSource('a', scheduler, [reading.running()]);
        const b = sequenceSource('b', scheduler, [reading.running()]);
        const batch = pollAll$([a, b], { strategy: withInterval(1) }).pipe(filter(() => true), cancelOnUnsubscribe());
        expectObservable(batch.pipe(map((e) => e.done)), '^--!').toBe('-(ab)', { a: 0, b: 0 });
        flush();
        expect([a.cancels, b.cancels]).toEqual([1, 1]);
      });
    });
  });

  it('works with timeoutAfter, which reports the last snapshot seen', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const out = collect(pollAll$([sequenceSource('a', scheduler, [reading.running(0.5)])], { strategy: withInterval(1) }).pipe(timeoutAfter(10)), flush);
      expect(out.error).toBeInstanceOf(TaskTimeoutError);
      expect((out.error as TaskTimeoutError).lastSnapshot?.taskId).toBe('a');
    });
  });

  it('leaves no loop running after an unsubscribe', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const timers = trackingScheduler(scheduler);
      const sources = [sequenceSource('a', scheduler, [reading.running()]), sequenceSource('b', scheduler, [reading.running()], 3)];
      expectObservable(pollAll$(sources, { strategy: withInterval(5, { scheduler: timers }) }).pipe(map(() => 'p')), '^--!').toBe('-p-');
      flush();
      expect(timers.pending).toBe(0);
      expect(sources.map((s) => s.reads)).toEqual([1, 1]);
    });
  });

  it.each([
    [() => pollAll$('tasks' as never), 'pollAll$: expected an array of TaskSources, but got string.'],
    [() => pollAll$([scriptedSource('x', () => EMPTY), scriptedSource('x', () => EMPTY)]), 'pollAll$: two sources have the id "x"; each task must appear once.'],
    [() => pollAll$([{ id: 'y' } as never]), 'pollAll$: the TaskSource "y" has no read() function; a source must read the task\'s status once per call.'],
    [() => pollAll$([], { mode: 'all' as never }), 'pollAll$: option "mode" must be "fail-fast" or "settle", but was "all".'],
    [() => pollAll$([], { concurrency: 0 }), 'pollAll$: option "concurrency" must be a whole number of at least 1 (or Infinity), but was 0.'],
    [() => pollAll$([], { strategy: withInterval(1), poller: { watch: () => EMPTY } as never }), 'pollAll$: give a strategy or a poller, not both; the poller waits with its own strategy.'],
  ])('throws a TypeError for bad input (%#)', (call, message) => {
    expect(call).toThrow(new TypeError(message));
  });
});
