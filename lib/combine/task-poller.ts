import { defer, Observable, ReplaySubject, type SchedulerLike, type Subscription } from 'rxjs';
import type { TaskEvent } from '../events.js';
import { attachCancelVariant, fireCancel, type CancelErrorHandler } from '../internal/cancel.js';
import { defaultScheduler } from '../internal/clock.js';
import { createHandle, checkSource } from '../internal/handle.js';
import { checkNumber, checkOptions, checkScheduler } from '../internal/options.js';
import { createRequestGate, type GateStats } from '../internal/request-gate.js';
import { pollTask$ } from '../poll-task.js';
import { isTerminalStatus } from '../snapshot.js';
import type { TaskSource } from '../source.js';
import type { PollStrategy } from '../strategies/poll-strategy.js';

/** Options of {@link createTaskPoller}. */
export interface TaskPollerConfig {
  /**
   * How to wait, for every task of the poller.
   * @default each source's `defaultStrategy`, else `withBackoff()`
   */
  readonly strategy?: PollStrategy;
  /**
   * The most requests in flight at once, across all tasks; the others queue, first come first served.
   * @default Infinity
   */
  readonly maxConcurrentRequests?: number;
  /**
   * The most requests started per second, across all tasks: starts are spread at least 1000 / n ms apart.
   * @default Infinity
   */
  readonly maxRequestsPerSecond?: number;
  /**
   * How many finished tasks to keep for replay to late watchers; the oldest are forgotten first.
   * @default 1000
   */
  readonly retainFinished?: number;
  /**
   * The scheduler that spaces requests for `maxRequestsPerSecond`.
   * @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike;
}

/** What a poller is doing: its request budget and its tasks. */
export interface TaskPollerStats extends GateStats {
  /** Tasks whose loop is running (at least one watcher, not finished). */
  readonly polling: number;
  /** Finished tasks kept for replay. */
  readonly finished: number;
  /** Watchers subscribed, across all tasks. */
  readonly watchers: number;
}

/** Many tasks watched through one request budget, one loop per task however many watch it. */
export interface TaskPoller {
  /**
   * The shared stream of `source`'s task (by id): one polling loop however many subscribers; a late
   * subscriber gets the latest event at once; the loop stops when the last subscriber leaves; a finished
   * task's result (or error) is replayed to whoever subscribes later. With `cancelOnUnsubscribe()` directly on
   * it, the task is cancelled when the last watcher leaves, if that watcher asked for it, and never while
   * another watcher still watches.
   */
  watch<R>(source: TaskSource<R>): Observable<TaskEvent<R>>;
  /** The request budget's queue and the tasks' counts, now. */
  stats(): TaskPollerStats;
  /** Drops a finished task's replay (or a stopped task's last event), so the next watch polls anew. */
  forget(taskId: string): void;
  /** How many subscribers watch the task with this id now. */
  watchers(taskId: string): number;
}

interface Entry {
  readonly events: Observable<TaskEvent<unknown>>;
  readonly cancelSource: TaskSource<unknown>;
  /** Replays the latest event to late watchers; it outlives a stopped loop, so the next watcher sees it too. */
  readonly subject: ReplaySubject<TaskEvent<unknown>>;
  watchers: number;
  loop?: Subscription;
  finished: boolean;
  /** The latest event was terminal (a watcher may leave on the result before the loop completes). */
  sawTerminal: boolean;
}

const optionNames = ['strategy', 'maxConcurrentRequests', 'maxRequestsPerSecond', 'retainFinished', 'scheduler'];

/**
 * Creates a poller: many tasks, one polling loop per task id whatever the number of watchers, and one request
 * budget across all of them (`maxConcurrentRequests`, `maxRequestsPerSecond`) whose queue is fair and visible
 * in `stats()`. Works with the strategies and operators of the core unchanged.
 *
 * @throws TypeError naming the option, for an unknown option or a value out of range.
 *
 * @example
 * const poller = createTaskPoller({ maxConcurrentRequests: 4 });
 * // Three components watch the same job: one loop, one request per poll.
 * poller.watch(jobSource).pipe(taskState()).subscribe(renderA);
 * poller.watch(jobSource).pipe(cancelOnUnsubscribe()).subscribe(renderB);
 */
export function createTaskPoller(config?: TaskPollerConfig): TaskPoller {
  const fn = 'createTaskPoller';
  checkOptions(fn, config, optionNames);
  const options = config ?? {};
  if (options.strategy !== undefined && typeof options.strategy !== 'function') {
    throw new TypeError(`${fn}: option "strategy" must be an operator function such as withBackoff(), but was ${typeof options.strategy}.`);
  }
  const strategy = options.strategy;
  const maxConcurrent = checkNumber(fn, 'maxConcurrentRequests', options.maxConcurrentRequests, Infinity, { min: 1, integer: true, allowInfinity: true });
  const perSecond = checkNumber(fn, 'maxRequestsPerSecond', options.maxRequestsPerSecond, Infinity, { allowInfinity: true });
  if (perSecond === 0) throw new TypeError(`${fn}: option "maxRequestsPerSecond" must be above 0 (or Infinity), but was 0.`);
  const retainFinished = checkNumber(fn, 'retainFinished', options.retainFinished, 1000, { integer: true, allowInfinity: true });
  const scheduler = checkScheduler(fn, options.scheduler, defaultScheduler);
  const gate = createRequestGate(maxConcurrent, perSecond, scheduler);
  const entries = new Map<string, Entry>();
  const finishedOrder: string[] = [];

  const budgeted = <R>(source: TaskSource<R>): TaskSource<R> => {
    const { result, cancel } = source;
    return {
      id: source.id,
      read: () => gate.pass(defer(() => source.read())),
      ...(result === undefined ? {} : { result: (last) => gate.pass(defer(() => result.call(source, last))) }),
      ...(cancel === undefined ? {} : { cancel: () => gate.pass(defer(() => cancel.call(source))) }),
      ...(source.defaultStrategy === undefined ? {} : { defaultStrategy: source.defaultStrategy }),
    };
  };

  const retire = (id: string): void => {
    finishedOrder.push(id);
    while (finishedOrder.length > retainFinished) {
      const old = finishedOrder.shift()!;
      const entry = entries.get(old);
      if (entry !== undefined && entry.finished && entry.watchers === 0) entries.delete(old);
    }
  };

  const entryFor = (source: TaskSource<unknown>): Entry => {
    let entry = entries.get(source.id);
    if (entry === undefined) {
      const limited = budgeted(source);
      entry = { events: pollTask$(limited, strategy), cancelSource: limited, subject: new ReplaySubject(1), watchers: 0, finished: false, sawTerminal: false };
      entries.set(source.id, entry);
    }
    return entry;
  };

  const connect = (entry: Entry, id: string): void => {
    entry.loop = entry.events.subscribe({
      next: (event) => {
        entry.sawTerminal = isTerminalStatus(event.snapshot.runStatus);
        entry.subject.next(event);
      },
      error: (error: unknown) => {
        entry.finished = true;
        entry.loop = undefined;
        entry.subject.error(error);
        retire(id);
      },
      complete: () => {
        entry.finished = true;
        entry.loop = undefined;
        entry.subject.complete();
        retire(id);
      },
    });
  };

  const watchWith = <R>(source: TaskSource<R>, onCancelError?: CancelErrorHandler): Observable<TaskEvent<R>> =>
    new Observable<TaskEvent<R>>((subscriber) => {
      const { id } = source;
      const entry = entryFor(source as TaskSource<unknown>);
      entry.watchers++;
      const inner = (entry.subject as ReplaySubject<TaskEvent<R>>).subscribe(subscriber);
      // A watcher satisfied by the replayed event (take(1)) has left already: no loop for nobody.
      if (!subscriber.closed && !entry.finished && entry.loop === undefined) connect(entry, id);
      return () => {
        inner.unsubscribe();
        entry.watchers--;
        if (entry.watchers > 0 || entry.finished || entry.loop === undefined) return;
        // The last watcher left an unfinished task: stop its loop; the subject keeps its last event for the next one.
        entry.loop.unsubscribe();
        entry.loop = undefined;
        if (onCancelError !== undefined && !entry.sawTerminal) fireCancel(createHandle(entry.cancelSource), onCancelError);
      };
    });

  return {
    watch<R>(source: TaskSource<R>): Observable<TaskEvent<R>> {
      checkSource('poller.watch', source);
      return attachCancelVariant(watchWith(source), (onError) => watchWith(source, onError));
    },
    stats(): TaskPollerStats {
      let polling = 0;
      let finished = 0;
      let watchers = 0;
      for (const entry of entries.values()) {
        if (entry.loop !== undefined) polling++;
        if (entry.finished) finished++;
        watchers += entry.watchers;
      }
      return { ...gate.stats(), polling, finished, watchers };
    },
    watchers: (taskId: string) => entries.get(taskId)?.watchers ?? 0,
    forget(taskId: string): void {
      const entry = entries.get(taskId);
      if (entry !== undefined && entry.watchers === 0) entries.delete(taskId);
    },
  };
}
