import fc from 'fast-check';
import { EMPTY, of, take, type Subscription } from 'rxjs';
import { cancelOnUnsubscribe, createTaskPoller, withInterval, type TaskPoller, type TaskReading } from '../../lib/index.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler, scriptedSource, sequenceSource, trackingScheduler, type ScriptedSource } from '../helpers/sources.js';

type Scheduler = ReturnType<typeof newTestScheduler>;

/** What a task does: how many reads until it ends (never, for Infinity), how it ends, and whether it answers at once. */
interface Script {
  readonly reads: number;
  readonly fails: boolean;
  readonly sync: boolean;
}

function sourceOf(id: string, script: Script, scheduler: Scheduler): ScriptedSource<string> {
  const at = (call: number): TaskReading<string> =>
    call + 1 < script.reads ? reading.running() : script.fails ? (reading.failed({ code: 'E' }) as TaskReading<string>) : reading.succeeded(id);
  if (script.sync) return scriptedSource(id, (call) => of(at(call)), { cancel: () => EMPTY });
  return scriptedSource(id, (call) => scheduler.createColdObservable('-(a|)', { a: at(call) }), { cancel: () => EMPTY });
}

describe('a task poller holds only what is watched', () => {
  it('holds nothing after 10,000 distinct tasks were watched and left, queued requests among them', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const poller = createTaskPoller({ strategy: withInterval(10), maxConcurrentRequests: 100 });
      const subscriptions: Subscription[] = [];
      for (let i = 0; i < 10_000; i++) {
        const watch = poller.watch(sequenceSource(`t${i}`, scheduler, [reading.running()], 5));
        // Three kinds of watcher: one that looks, one that cancels on leave, one that leaves on its first event.
        subscriptions.push((i % 3 === 0 ? watch : i % 3 === 1 ? watch.pipe(cancelOnUnsubscribe()) : watch.pipe(take(1))).subscribe());
      }
      scheduler.schedule(() => expect(poller.stats()).toMatchObject({ tasks: 10_000, inFlight: 100, queued: 9_900 }), 1);
      scheduler.schedule(() => subscriptions.forEach((s) => s.unsubscribe()), 50);
      flush();
      expect(poller.stats()).toMatchObject({ tasks: 0, polling: 0, finished: 0, watchers: 0, inFlight: 0, queued: 0 });
    });
  });

  it('keeps at most retainFinished finished tasks, and none with 0, even ones that end while their watch starts', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const keeping = createTaskPoller({ strategy: withInterval(1), retainFinished: 100 });
      const none = createTaskPoller({ strategy: withInterval(1), retainFinished: 0 });
      // 2,000, not 10,000: the TestScheduler sorts its whole queue on every schedule.
      for (let i = 0; i < 2_000; i++) {
        const script = { reads: 1 + (i % 3), fails: i % 5 === 0, sync: i % 2 === 0 };
        keeping.watch(sourceOf(`t${i}`, script, scheduler)).subscribe({ error: () => undefined });
        none.watch(sourceOf(`t${i}`, script, scheduler)).subscribe({ error: () => undefined });
      }
      flush();
      expect(keeping.stats()).toMatchObject({ tasks: 100, finished: 100, polling: 0 });
      expect(none.stats()).toMatchObject({ tasks: 0, finished: 0, polling: 0 });
      for (let i = 0; i < 2_000; i++) keeping.forget(`t${i}`);
      expect(keeping.stats()).toMatchObject({ tasks: 0, finished: 0 });
    });
  });

  /** One step of a session: watch a task (in one of four ways), leave a watch, forget a task, or let time pass. */
  type Step =
    | { readonly op: 'watch'; readonly task: number; readonly how: 'look' | 'cancel' | 'first' | 'two' }
    | { readonly op: 'leave'; readonly which: number }
    | { readonly op: 'forget'; readonly task: number }
    | { readonly op: 'wait'; readonly ms: number };

  const steps: fc.Arbitrary<Step[]> = fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('watch' as const), task: fc.nat(7), how: fc.constantFrom('look' as const, 'cancel' as const, 'first' as const, 'two' as const) }),
      fc.record({ op: fc.constant('leave' as const), which: fc.nat(40) }),
      fc.record({ op: fc.constant('forget' as const), task: fc.nat(7) }),
      fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 12 }) }),
    ),
    { maxLength: 60 },
  );
  const scripts: fc.Arbitrary<Script[]> = fc.array(
    fc.record({ reads: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(Infinity)), fails: fc.boolean(), sync: fc.boolean() }),
    { minLength: 8, maxLength: 8 },
  );

  it('whatever the order of watches, leaves and forgets: every unfinished task it holds is watched, and nothing but retained results is left', () => {
    fc.assert(
      fc.property(scripts, steps, fc.constantFrom(0, 1, 3, Infinity), (tasks, session, retainFinished) => {
        const scheduler = newTestScheduler();
        const broken: string[] = [];
        let poller: TaskPoller | undefined;
        scheduler.run(({ flush }) => {
          const current = createTaskPoller({ strategy: withInterval(2), retainFinished });
          poller = current;
          const sources = tasks.map((script, i) => sourceOf(`t${i}`, script, scheduler));
          const open: Array<{ subscription: Subscription; task: number }> = [];
          /** After every step: what the poller holds is what is watched, plus at most retainFinished results. */
          const check = (when: string): void => {
            const live = open.filter((watch) => !watch.subscription.closed);
            const watched = new Set(live.map((watch) => watch.task)).size;
            const stats = current.stats();
            if (stats.tasks - stats.finished > watched) broken.push(`${when}: ${stats.tasks - stats.finished} unfinished tasks held, ${watched} watched`);
            if (stats.finished > retainFinished) broken.push(`${when}: ${stats.finished} finished tasks kept, retainFinished ${retainFinished}`);
            if (stats.watchers !== live.length) broken.push(`${when}: ${stats.watchers} watchers counted, ${live.length} subscribed`);
          };
          let at = 0;
          session.forEach((step, index) => {
            if (step.op === 'wait') at += step.ms;
            scheduler.schedule(() => {
              if (step.op === 'watch') {
                const watch = current.watch(sources[step.task]!);
                const piped = step.how === 'cancel' ? watch.pipe(cancelOnUnsubscribe()) : step.how === 'first' ? watch.pipe(take(1)) : step.how === 'two' ? watch.pipe(take(2)) : watch;
                open.push({ subscription: piped.subscribe({ error: () => undefined }), task: step.task });
              } else if (step.op === 'leave') {
                const live = open.filter((watch) => !watch.subscription.closed);
                live[step.which % Math.max(1, live.length)]?.subscription.unsubscribe();
              } else if (step.op === 'forget') {
                current.forget(`t${step.task}`);
              }
              check(`step ${index} (${step.op})`);
            }, at);
          });
          scheduler.schedule(() => open.forEach((watch) => watch.subscription.unsubscribe()), at + 1);
          flush();
          check('the end');
        });
        const stats = poller!.stats();
        if (stats.tasks !== stats.finished || stats.polling !== 0 || stats.watchers !== 0 || stats.inFlight !== 0 || stats.queued !== 0) {
          broken.push(`the end: ${JSON.stringify(stats)}`);
        }
        expect(broken).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('a task poller\'s request budget', () => {
  it('keeps no timer for a request whose watcher left while it waited for its turn', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.double({ min: 0.001, max: 1000, noNaN: true }), (waiting, perSecond) => {
        const scheduler = newTestScheduler();
        scheduler.run(() => {
          const timers = trackingScheduler(scheduler);
          const poller = createTaskPoller({ strategy: withInterval(1_000_000, { scheduler: timers }), maxRequestsPerSecond: perSecond, scheduler: timers });
          // The first request goes at once; the others wait for their turn behind it.
          const first = poller.watch(sequenceSource('first', scheduler, [reading.running(0.5)], 0)).subscribe();
          const others = Array.from({ length: waiting }, (_, i) => poller.watch(sequenceSource(`t${i}`, scheduler, [reading.running(0.5)], 0)).subscribe());
          others.forEach((watch) => watch.unsubscribe());
          first.unsubscribe();
          expect(poller.stats()).toMatchObject({ queued: 0, inFlight: 0 });
          expect(timers.pending).toBe(0);
        });
      }),
      { numRuns: 50 },
    );
  });
});
