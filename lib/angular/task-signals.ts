import { isPlatformServer } from '@angular/common';
import { computed, DestroyRef, inject, Injector, NgZone, PLATFORM_ID, signal, type Signal } from '@angular/core';
import type { Observable, Subscription } from 'rxjs';
import type { TaskEvent } from '../events.js';
import { cancelOnUnsubscribe } from '../operators/cancel-on-unsubscribe.js';
import { taskState, type TaskState } from '../operators/task-state.js';
import type { TaskSnapshot } from '../snapshot.js';
import { outsideAngular } from './outside-angular.js';

/** A task as signals: each can be read at any time, and none ever throws. */
export interface TaskSignals<R> {
  /**
   * `{ state: 'active' }`, `{ state: 'succeeded', ok: true, result }` or `{ state: 'failed', ok: false, error }`:
   * once ended, the wait's {@link Outcome}.
   */
  readonly state: Signal<TaskState<R>>;
  /** The latest snapshot, once there is one. */
  readonly snapshot: Signal<TaskSnapshot | undefined>;
  /** The latest progress, 0 to 1, when the service reports one. */
  readonly progress: Signal<number | undefined>;
  /** The result, once the task succeeded. */
  readonly result: Signal<R | undefined>;
  /** What ended the wait when it did not succeed (a task failure, a cancel, a timeout, a transport error). */
  readonly error: Signal<unknown>;
  /** Stops watching now rather than when the injection context is destroyed (and cancels, with `cancelOnDestroy`). */
  stop(): void;
}

/** Options of {@link taskSignals}. */
export interface TaskSignalsOptions {
  /**
   * Also cancel the task on its service when watching stops before it ended (the component or service is
   * destroyed, or `stop()` is called).
   * @default false
   */
  readonly cancelOnDestroy?: boolean;
  /** The injector to take NgZone, DestroyRef and PLATFORM_ID from; by default the current injection context's. */
  readonly injector?: Injector;
}

/**
 * Watches a task stream as Angular signals, built on {@link taskState}: they never throw (unlike `toSignal` of
 * a stream that errored), the stream runs outside the Angular zone (see {@link outsideAngular}) so the
 * application stays stable while the task is watched, and watching stops when the injection context is
 * destroyed, cancelling the task if asked.
 *
 * During server-side rendering nothing is polled: the signals stay `{ state: 'active' }` without a snapshot,
 * and the browser picks the task up after hydration.
 *
 * @throws Error (from Angular) when called outside an injection context without `injector`.
 *
 * @example
 * export class JobComponent {
 *   readonly job = taskSignals(inject(JobsService).render('castle'), { cancelOnDestroy: true });
 *   // template: {{ (job.progress() ?? 0) | percent }} @if (job.error()) { … }
 * }
 */
export function taskSignals<R>(events$: Observable<TaskEvent<R>>, options: TaskSignalsOptions = {}): TaskSignals<R> {
  const injector = options.injector ?? inject(Injector);
  const state = signal<TaskState<R>>({ state: 'active' });
  let subscription: Subscription | undefined;
  if (!isPlatformServer(injector.get(PLATFORM_ID))) {
    const watched = options.cancelOnDestroy === true ? events$.pipe(cancelOnUnsubscribe()) : events$;
    subscription = watched.pipe(outsideAngular(injector.get(NgZone)), taskState()).subscribe((next) => state.set(next));
    injector.get(DestroyRef).onDestroy(() => subscription?.unsubscribe());
  }
  return {
    state: state.asReadonly(),
    snapshot: computed(() => state().snapshot),
    progress: computed(() => state().snapshot?.progress),
    // Every TaskState has `result` and `error`, undefined unless the task ended that way.
    result: computed(() => state().result),
    error: computed(() => state().error),
    stop: () => subscription?.unsubscribe(),
  };
}
