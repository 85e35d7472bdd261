import { Observable, type Subscriber, type Subscription } from 'rxjs';
import type { TaskEvent, TaskHandle } from '../events.js';
import { CancelableObservable, fireCancel, isCancelableStream } from '../core/cancel.js';
import { createHandle, checkSource } from '../core/handle.js';
import { checkNumber, checkOptions, optionNamesOf } from '../util/options.js';
import { pollTask$ } from '../core/poll-task.js';
import { snapshotOf, type Outcome } from '../core/outcome.js';
import { isTerminalStatus, type TaskSnapshot } from '../snapshot.js';
import type { TaskSource } from '../task-source.js';
import type { PollStrategy } from '../strategies/poll-strategy.js';
import type { TaskPoller } from './task-poller.js';

/** The state of the batch after one task's reading (or end). */
export interface PollAllProgressEvent {
  readonly type: 'progress';
  /** The latest snapshot of every task that has had a reading, by task id. A new map per event. */
  readonly tasks: ReadonlyMap<string, TaskSnapshot>;
  /** The mean of the tasks' progress, finished tasks counting 1 and tasks without progress 0. */
  readonly progress: number;
  /** How many tasks have ended (succeeded; in `settle` mode, failed too). */
  readonly done: number;
  readonly total: number;
  /** The task whose reading or end this event reports. */
  readonly task: TaskHandle;
  /** Its snapshot, when it has had a reading. */
  readonly snapshot?: TaskSnapshot;
}

/** The end of the batch: every task's result, in input order. */
export interface PollAllResultEvent<T> {
  readonly type: 'result';
  /** In input order: the results (`fail-fast`), or how each task ended, an {@link Outcome} (`settle`). */
  readonly results: readonly T[];
  readonly tasks: ReadonlyMap<string, TaskSnapshot>;
  readonly progress: 1;
  readonly done: number;
  readonly total: number;
}

/** What {@link pollAll$} emits in `fail-fast` mode. */
export type PollAllEvent<R> = PollAllProgressEvent | PollAllResultEvent<R>;
/** What {@link pollAll$} emits in `settle` mode: its `results` are how each task ended, an {@link Outcome}. */
export type PollAllSettledEvent<R> = PollAllProgressEvent | PollAllResultEvent<Outcome<R>>;

/** Options of {@link pollAll$}. */
export interface PollAllOptions<R> {
  /** How to wait, for every task. Default: each source's `defaultStrategy`, else `withBackoff()`. Not with `poller`. */
  readonly strategy?: PollStrategy<R>;
  /**
   * How many tasks are polled at once; the rest wait their turn, in input order.
   * @default Infinity
   */
  readonly concurrency?: number;
  /**
   * `fail-fast`: error with the first failure and stop polling the rest. `settle`: wait for every task and
   * end with an {@link Outcome} per task, `{ ok: true, result, snapshot }` or `{ ok: false, error, snapshot? }`.
   * @default 'fail-fast'
   */
  readonly mode?: 'fail-fast' | 'settle';
  /** Watch each task through this poller (shared loops, its request budget) instead of a loop of its own. */
  readonly poller?: TaskPoller;
}

const optionNames = optionNamesOf<PollAllOptions<unknown>>()({ strategy: true, concurrency: true, mode: true, poller: true });

/**
 * Waits for many tasks at once: a cold Observable of `progress` events (each task's latest snapshot, the
 * batch's mean progress, how many are done) that ends with one `result` event holding every task's result in
 * input order.
 *
 * - `concurrency` caps how many tasks are polled at once; the others wait their turn.
 * - `fail-fast` (default) errors with the first failure and stops polling the rest; `settle` waits for all
 *   and reports an {@link Outcome} per task, `{ ok: true, result, snapshot } | { ok: false, error, snapshot? }`.
 * - With {@link cancelOnUnsubscribe} on its output, leaving before the end cancels every unfinished task,
 *   queued ones included; an error or the end cancels nothing.
 *
 * @throws TypeError for a list with something that is not a TaskSource, two sources with one id, or a bad option.
 *
 * @example
 * pollAll$(renders, { concurrency: 5 }).pipe(cancelOnUnsubscribe()).subscribe((event) => {
 *   if (event.type === 'progress') bar.update(event.progress, `${event.done}/${event.total}`);
 *   else publish(event.results);
 * });
 */
export function pollAll$<R>(sources: readonly TaskSource<R>[], options?: PollAllOptions<R> & { readonly mode?: 'fail-fast' }): Observable<PollAllEvent<R>>;
export function pollAll$<R>(sources: readonly TaskSource<R>[], options: PollAllOptions<R> & { readonly mode: 'settle' }): Observable<PollAllSettledEvent<R>>;
export function pollAll$<R>(
  sources: readonly TaskSource<R>[],
  options: PollAllOptions<R> = {},
): Observable<PollAllEvent<R> | PollAllSettledEvent<R>> {
  const fn = 'pollAll$';
  if (!Array.isArray(sources)) throw new TypeError(`${fn}: expected an array of TaskSources, but got ${sources === null ? 'null' : typeof sources}.`);
  checkOptions(fn, options, optionNames);
  const ids = new Set<string>();
  for (const source of sources) {
    checkSource(fn, source);
    if (ids.has(source.id)) throw new TypeError(`${fn}: two sources have the id "${source.id}"; each task must appear once.`);
    ids.add(source.id);
  }
  const concurrency = checkNumber(fn, 'concurrency', options.concurrency, Infinity, { min: 1, integer: true, allowInfinity: true });
  const mode = options.mode ?? 'fail-fast';
  if (mode !== 'fail-fast' && mode !== 'settle') throw new TypeError(`${fn}: option "mode" must be "fail-fast" or "settle", but was ${JSON.stringify(mode)}.`);
  const { poller, strategy } = options;
  if (poller !== undefined && strategy !== undefined) {
    throw new TypeError(`${fn}: give a strategy or a poller, not both; the poller waits with its own strategy.`);
  }
  if (strategy !== undefined && typeof strategy !== 'function') throw new TypeError(`${fn}: option "strategy" must be an operator function such as withBackoff().`);
  if (poller !== undefined && typeof poller?.watch !== 'function') throw new TypeError(`${fn}: option "poller" must be a poller made by createTaskPoller().`);

  const handles = sources.map((source) => createHandle(source));
  const streams = sources.map((source) => (poller === undefined ? pollTask$<R>(source, strategy) : poller.watch(source)));
  const batch = { streams, handles, concurrency, mode };
  return new CancelableObservable<PollAllEvent<R> | PollAllSettledEvent<R>>((subscriber, onError) => {
    if (onError === undefined) return runAll(subscriber, batch);
    if (poller === undefined) {
      // Every unfinished task, started or still queued, is cancelled here.
      return runAll(subscriber, batch, (index) => fireCancel(handles[index]!, onError));
    }
    // Through a poller, a started task is cancelled by the poller when its last watcher leaves (it may have
    // others); a queued one only when nobody watches it.
    const watched = { ...batch, streams: streams.map((stream) => (isCancelableStream(stream) ? stream.cancelingOnUnsubscribe(onError) : stream)) };
    return runAll(subscriber, watched, (index, started) => {
      if (!started && poller.watchers(handles[index]!.id) === 0) fireCancel(handles[index]!, onError);
    });
  });
}

/** What a batch is made of, the same for every subscription. */
interface Batch<R> {
  readonly streams: readonly Observable<TaskEvent<R>>[];
  readonly handles: readonly TaskHandle[];
  readonly concurrency: number;
  readonly mode: 'fail-fast' | 'settle';
}

/**
 * Runs one subscription of a batch. `cancelLeft`, when given, is called on an unsubscribe before the batch
 * ended, for each unfinished task, with whether its stream was started.
 */
function runAll<R>(
  subscriber: Subscriber<PollAllEvent<R> | PollAllSettledEvent<R>>,
  { streams, handles, concurrency, mode }: Batch<R>,
  cancelLeft?: (index: number, started: boolean) => void,
): () => void {
  const total = streams.length;
  const snapshots = new Map<string, TaskSnapshot>();
  const contribution = new Array<number>(total).fill(0);
  const ended = new Array<boolean>(total).fill(false);
  const outcomes = new Array<Outcome<R> | undefined>(total);
  const running = new Map<number, Subscription>();
  let sum = 0;
  let done = 0;
  let next = 0;
  let over = false; // the batch completed or errored: nothing to cancel

  const emitProgress = (index: number): void => {
    const snapshot = snapshots.get(handles[index]!.id);
    subscriber.next({
      type: 'progress',
      tasks: new Map(snapshots),
      progress: total === 0 ? 1 : sum / total,
      done,
      total,
      task: handles[index]!,
      ...(snapshot === undefined ? {} : { snapshot }),
    });
  };

  const setContribution = (index: number, value: number): void => {
    sum += value - contribution[index]!;
    contribution[index] = value;
  };

  const finish = (): void => {
    over = true;
    const results = outcomes.map((outcome) => (mode === 'settle' ? outcome : (outcome as { result: R }).result));
    subscriber.next({ type: 'result', results: results as never, tasks: new Map(snapshots), progress: 1, done, total });
    subscriber.complete();
  };

  const end = (index: number, outcome: Outcome<R>): void => {
    ended[index] = true;
    outcomes[index] = outcome;
    running.delete(index);
    done++;
    setContribution(index, 1);
    emitProgress(index);
    if (done === total) finish();
    else startNext();
  };

  const start = (index: number): void => {
    const id = handles[index]!.id;
    const subscription = streams[index]!.subscribe({
      next(event) {
        snapshots.set(id, event.snapshot);
        if (event.type === 'result') {
          end(index, { ok: true, result: event.result, snapshot: event.snapshot });
          return;
        }
        setContribution(index, event.snapshot.progress ?? 0);
        emitProgress(index);
      },
      error(error: unknown) {
        if (mode === 'settle') {
          // The snapshot a failure or cancel carries is the reading that ended this task, newer than the batch's.
          const carried = snapshotOf(error);
          if (carried !== undefined && carried.taskId === id) snapshots.set(id, carried);
          const snapshot = snapshots.get(id);
          end(index, snapshot === undefined ? { ok: false, error } : { ok: false, error, snapshot });
          return;
        }
        over = true;
        ended[index] = true;
        running.delete(index);
        subscriber.error(error);
      },
    });
    if (!subscription.closed && !ended[index]) running.set(index, subscription);
  };

  function startNext(): void {
    while (!over && running.size < concurrency && next < total) start(next++);
  }

  if (total === 0) finish();
  else startNext();

  return () => {
    for (const subscription of running.values()) subscription.unsubscribe();
    running.clear();
    if (cancelLeft === undefined || over) return;
    handles.forEach((handle, index) => {
      const snapshot = snapshots.get(handle.id);
      if (!ended[index] && (snapshot === undefined || !isTerminalStatus(snapshot.runStatus))) cancelLeft(index, index < next);
    });
  };
}
