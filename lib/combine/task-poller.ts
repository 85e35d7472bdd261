import { defer, Observable, type Observer, type SchedulerLike, type Subscriber, type TeardownLogic, type Unsubscribable } from 'rxjs';
import type { TaskEvent } from '../events.js';
import { fireCancel, type CancelableStream, type CancelErrorHandler } from '../core/cancel.js';
import { defaultScheduler } from '../core/clock.js';
import { outsideDeadlines } from '../core/wait-scope.js';
import { planTask, runTask, type TaskPlan } from '../core/engine.js';
import { checkSource } from '../core/handle.js';
import { checkNumber, checkOptions, checkScheduler, optionNamesOf } from '../util/options.js';
import { createRequestGate, type GateStats, type RequestGate } from './request-gate.js';
import { isTerminalStatus, type TaskReading } from '../snapshot.js';
import type { TaskSource } from '../task-source.js';
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
   * How many finished tasks to keep for replay to late watchers; the oldest are forgotten first. Only finished
   * tasks are kept: an unfinished task is let go when its last watcher leaves. `0` keeps none; `Infinity` keeps
   * every one until {@link TaskPoller.forget}.
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
  /**
   * Tasks the poller holds: the watched ones and the finished ones kept for replay (at most `retainFinished`).
   * A task nobody watches any more is not among them.
   */
  readonly tasks: number;
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
   * subscriber gets the latest event at once; the loop stops when the last subscriber leaves, and the poller
   * lets the task go (the next watcher polls anew); a finished task's result (or error) is replayed to whoever
   * subscribes later, for the latest `retainFinished` finished tasks. With `cancelOnUnsubscribe()` directly on
   * it, the task is cancelled when the last watcher leaves, if that watcher asked for it, and never while
   * another watcher still watches.
   */
  watch<R>(source: TaskSource<R>): Observable<TaskEvent<R>>;
  /** The request budget's queue and the tasks' counts, now. */
  stats(): TaskPollerStats;
  /** Drops a finished task's replay, so the next watch polls anew. A task that is watched now stays. */
  forget(taskId: string): void;
  /** How many subscribers watch the task with this id now. */
  watchers(taskId: string): number;
}

const optionNames = optionNamesOf<TaskPollerConfig>()({
  strategy: true,
  maxConcurrentRequests: true,
  maxRequestsPerSecond: true,
  retainFinished: true,
  scheduler: true,
});

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
  const maxConcurrent = checkNumber(fn, 'maxConcurrentRequests', options.maxConcurrentRequests, Infinity, { min: 1, integer: true, allowInfinity: true });
  const perSecond = checkNumber(fn, 'maxRequestsPerSecond', options.maxRequestsPerSecond, Infinity, { allowInfinity: true });
  if (perSecond === 0) throw new TypeError(`${fn}: option "maxRequestsPerSecond" must be above 0 (or Infinity), but was 0.`);
  const retainFinished = checkNumber(fn, 'retainFinished', options.retainFinished, 1000, { integer: true, allowInfinity: true });
  const scheduler = checkScheduler(fn, options.scheduler, defaultScheduler);
  const poller = new Poller(options.strategy, createRequestGate(maxConcurrent, perSecond, scheduler), retainFinished);

  return {
    watch<R>(source: TaskSource<R>): Observable<TaskEvent<R>> {
      checkSource('poller.watch', source);
      return new WatchObservable(poller, source, undefined);
    },
    stats(): TaskPollerStats {
      let polling = 0;
      let watchers = 0;
      for (const entry of poller.entries.values()) {
        if (entry.run !== undefined) polling++;
        watchers += entry.watchers.length;
      }
      return { ...poller.gate.stats(), tasks: poller.entries.size, polling, finished: poller.retained.size, watchers };
    },
    watchers: (taskId: string) => poller.entries.get(taskId)?.watchers.length ?? 0,
    forget(taskId: string): void {
      const entry = poller.entries.get(taskId);
      if (entry !== undefined && entry.watchers.length === 0) poller.release(entry);
    },
  };
}

// A poller watches tens of thousands of tasks at once, so each task's state is one object of a class (no
// closures per task), its loop is run by the engine directly (no subscription in between), and its watchers
// are kept in a plain array instead of a ReplaySubject. The map holds only what someone watches and the
// finished tasks kept for replay, so a poller's memory follows what is watched, not what ever was.

/** A poller's shared state. */
class Poller {
  readonly entries = new Map<string, Entry>();
  /** The finished tasks kept for replay, oldest first (a Set keeps insertion order). */
  readonly retained = new Set<Entry>();

  constructor(
    readonly strategy: PollStrategy | undefined,
    readonly gate: RequestGate,
    private readonly retainFinished: number,
  ) {}

  /** The entry of `source`'s task, made on first watch. */
  entryFor(source: TaskSource<unknown>): Entry {
    let entry = this.entries.get(source.id);
    if (entry === undefined) {
      entry = new Entry(this, planTask(budgeted(source, this.gate), this.strategy));
      this.entries.set(source.id, entry);
    }
    return entry;
  }

  /**
   * A task finished: keep it for replay among the latest `retainFinished` finished tasks. Its watchers have
   * been told the end already (one still listed is closed and only waits for its teardown), so it goes
   * whatever its list says.
   */
  retire(entry: Entry): void {
    // One let go before its end came is nobody's to replay.
    if (this.entries.get(entry.plan.source.id) !== entry) return;
    const { retained } = this;
    retained.add(entry);
    while (retained.size > this.retainFinished) this.release(retained.values().next().value!);
  }

  /** Lets a task go: the next watch of its id makes a new entry and polls anew. */
  release(entry: Entry): void {
    this.retained.delete(entry);
    const id = entry.plan.source.id;
    // A newer entry of the same id (after forget) is not this one's to drop.
    if (this.entries.get(id) === entry) this.entries.delete(id);
  }
}

/** `source` with every request (status, result, cancel) passed through the poller's request budget. */
function budgeted<R>(source: TaskSource<R>, gate: RequestGate): TaskSource<R> {
  const { result, cancel } = source;
  return new BudgetedSource(
    source,
    gate,
    result === undefined ? undefined : (last) => gate.pass(defer(() => result.call(source, last))),
    cancel === undefined ? undefined : () => gate.pass(defer(() => cancel.call(source))),
  );
}

class BudgetedSource<R> implements TaskSource<R> {
  readonly id: string;
  readonly defaultStrategy: PollStrategy<R> | undefined;

  constructor(
    private readonly inner: TaskSource<R>,
    private readonly gate: RequestGate,
    readonly result: TaskSource<R>['result'],
    readonly cancel: TaskSource<R>['cancel'],
  ) {
    this.id = inner.id;
    this.defaultStrategy = inner.defaultStrategy;
  }

  read(): Observable<TaskReading<R>> {
    const { inner } = this;
    return this.gate.pass(defer(() => inner.read()));
  }
}

/**
 * One task of the poller: its plan, its watchers, the latest event (replayed to late watchers) and how it
 * ended. It observes the engine's run directly.
 */
class Entry implements Observer<TaskEvent<unknown>> {
  readonly watchers: Subscriber<TaskEvent<unknown>>[] = [];
  run: Unsubscribable | undefined = undefined;
  last: TaskEvent<unknown> | undefined = undefined;
  finished = false;
  /** How the task ended: with an error (`failed`), else completed. */
  failed = false;
  failure: unknown = undefined;
  /** The latest event was terminal (a watcher may leave on the result before the loop completes). */
  sawTerminal = false;

  constructor(
    readonly poller: Poller,
    readonly plan: TaskPlan<unknown>,
  ) {}

  /** Starts the task's loop, unless it runs or ended. */
  connect(): void {
    if (this.run !== undefined || this.finished) return;
    // Its watchers come and go: the loop is not bound by the timeoutAfter of the one that started it.
    const run = outsideDeadlines(() => runTask(this, this.plan));
    // A synchronous source may have ended the task while the loop was starting. (A watcher that leaves meanwhile
    // is handled by its teardown, which RxJS runs once the watch's subscribe has returned.)
    if (!this.finished) this.run = run;
  }

  /** Stops the loop. */
  disconnect(): void {
    const { run } = this;
    this.run = undefined;
    run?.unsubscribe();
  }

  /** Gives a new watcher the latest event, and the end if there was one. */
  replayTo(subscriber: Subscriber<TaskEvent<unknown>>): void {
    if (this.last !== undefined) subscriber.next(this.last);
    if (!this.finished) return;
    if (this.failed) subscriber.error(this.failure);
    else subscriber.complete();
  }

  // The engine tells the entry directly, with no Subscriber in between to drop what comes after the end; the
  // engine sends nothing then, and these checks keep it so.
  next(event: TaskEvent<unknown>): void {
    if (this.finished) return;
    this.sawTerminal = isTerminalStatus(event.snapshot.runStatus);
    this.last = event;
    const { watchers } = this;
    // A watcher may leave (or another join) while it is told: tell the ones there were when the event came.
    if (watchers.length === 1) watchers[0]!.next(event);
    else for (const watcher of watchers.slice()) watcher.next(event);
  }

  error(error: unknown): void {
    if (this.finished) return;
    this.failed = true;
    this.failure = error;
    this.end();
  }

  complete(): void {
    if (!this.finished) this.end();
  }

  private end(): void {
    this.finished = true;
    this.disconnect();
    for (const watcher of this.watchers.slice()) {
      if (this.failed) watcher.error(this.failure);
      else watcher.complete();
    }
    this.poller.retire(this);
  }
}

/** What `watch()` returns: shares its subscribe function with every other. */
class WatchObservable<R> extends Observable<TaskEvent<R>> implements CancelableStream<TaskEvent<R>> {
  constructor(
    readonly poller: Poller,
    // Not `source`: Observable has a field of that name.
    readonly taskSource: TaskSource<R>,
    readonly onCancelError: CancelErrorHandler | undefined,
  ) {
    super(subscribeWatch);
  }

  /** The variant that cancels when the last watcher leaves before the end (see cancelOnUnsubscribe). */
  cancelingOnUnsubscribe(onError: CancelErrorHandler): Observable<TaskEvent<R>> {
    return this.onCancelError === undefined ? new WatchObservable(this.poller, this.taskSource, onError) : this;
  }
}

function subscribeWatch(this: Observable<TaskEvent<unknown>>, subscriber: Subscriber<TaskEvent<unknown>>): TeardownLogic {
  const { poller, taskSource, onCancelError } = this as WatchObservable<unknown>;
  const entry = poller.entryFor(taskSource);
  entry.watchers.push(subscriber);
  entry.replayTo(subscriber);
  // A watcher satisfied by the replayed event (take(1)) has left already: no loop for nobody (RxJS runs the
  // teardown at once).
  if (!subscriber.closed) entry.connect();
  return new Watch(entry, subscriber, onCancelError);
}

/** One watcher's teardown. */
class Watch implements Unsubscribable {
  constructor(
    private readonly entry: Entry,
    private readonly subscriber: Subscriber<TaskEvent<unknown>>,
    private readonly onCancelError: CancelErrorHandler | undefined,
  ) {}

  unsubscribe(): void {
    const { entry } = this;
    const { watchers } = entry;
    const index = watchers.indexOf(this.subscriber);
    if (index >= 0) watchers.splice(index, 1);
    // A watcher that leaves on the result leaves inside its delivery: the end follows at once, and keeps it.
    if (watchers.length > 0 || entry.finished || entry.sawTerminal) return;
    // The last watcher left an unfinished task: let it go and stop its loop. Kept, it would hold its plan and
    // last event for nobody, one more for every task ever watched. Let go first: stopping runs the source's
    // teardown, which may watch this id again and must then make a new entry.
    const running = entry.run !== undefined;
    entry.poller.release(entry);
    entry.disconnect();
    if (running && this.onCancelError !== undefined) fireCancel(entry.plan.handle, this.onCancelError);
  }
}
