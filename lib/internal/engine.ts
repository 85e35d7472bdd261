import { Observable, type Observer, type Subscriber, type Subscription } from 'rxjs';
import {
  PollingStoppedError,
  SourceContractError,
  TaskCanceledError,
  TaskFailedError,
  TaskTimeoutError,
  UnknownStatusError,
} from '../errors.js';
import type { TaskEvent, TaskHandle } from '../events.js';
import { isRunStatus, type TaskReading, type TaskSnapshot } from '../snapshot.js';
import type { TaskSource } from '../source.js';
import type { PollStrategy } from '../strategies/poll-strategy.js';
import { withBackoff } from '../strategies/with-backoff.js';
import { fireCancel, type CancelErrorHandler } from './cancel.js';
import { now } from './clock.js';
import { createHandle } from './handle.js';
import { isSubscribable } from './observable-like.js';

/** Everything about one task that does not change between subscriptions. */
export interface TaskPlan<R> {
  readonly source: TaskSource<R>;
  readonly handle: TaskHandle;
  readonly strategy: PollStrategy<R>;
  /** One status request that must emit exactly one reading; the strategy repeats it. */
  readonly readOnce: Observable<TaskReading<R>>;
}

// Stateless across subscriptions (withBackoff keeps its state per subscription), so one instance serves all.
const defaultStrategy = withBackoff();

/** Builds the plan for `source`; `strategy` falls back to the source's own, then to `withBackoff()`. */
export function planTask<R>(source: TaskSource<R>, strategy: PollStrategy<R> | undefined): TaskPlan<R> {
  return {
    source,
    handle: createHandle(source),
    strategy: strategy ?? source.defaultStrategy ?? defaultStrategy,
    readOnce: readOnce(source),
  };
}

function readOnce<R>(source: TaskSource<R>): Observable<TaskReading<R>> {
  const { id } = source;
  return new Observable<TaskReading<R>>((subscriber) => {
    const request = source.read();
    if (!isSubscribable<TaskReading<R>>(request)) {
      subscriber.error(
        new SourceContractError(`Source "${id}": read() returned ${typeof request}, not an Observable; wrap the request with taskSource() or return an Observable.`, { taskId: id }),
      );
      return;
    }
    let readings = 0;
    return request.subscribe({
      next(reading) {
        if (++readings === 1) {
          subscriber.next(reading);
        } else {
          subscriber.error(
            new SourceContractError(`Source "${id}": read() emitted a second reading; one status request must give exactly one reading.`, { taskId: id }),
          );
        }
      },
      error(error: unknown) {
        subscriber.error(error);
      },
      complete() {
        if (readings === 0) {
          subscriber.error(
            new SourceContractError(`Source "${id}": read() completed without a reading; a status request must emit one reading (or error).`, { taskId: id }),
          );
        } else {
          subscriber.complete();
        }
      },
    });
  });
}

/** What is wrong with a reading from a plain-JS source, or undefined when it can be used. */
function checkReading(reading: TaskReading<unknown>, id: string): Error | undefined {
  if (typeof reading !== 'object' || reading === null) {
    return new SourceContractError(`Source "${id}": read() emitted ${reading === null ? 'null' : typeof reading}, not a TaskReading object.`, { taskId: id });
  }
  if (!isRunStatus(reading.runStatus)) {
    const word = typeof reading.vendorStatus === 'string' ? reading.vendorStatus : String(reading.runStatus);
    return new UnknownStatusError(word, { taskId: id, raw: reading.raw });
  }
  const { progress } = reading;
  if (progress !== undefined && !(typeof progress === 'number' && progress >= 0 && progress <= 1)) {
    return new SourceContractError(
      `Source "${id}": reading progress ${String(progress)} lies outside 0..1; sources report progress as a fraction (divide percentages by 100).`,
      { taskId: id },
    );
  }
  return undefined;
}

/**
 * Runs the polling loop of `plan` for one subscriber and returns its teardown. With `onCancelError`, an
 * unsubscribe that comes before the task ended cancels it on the service.
 *
 * Written as one set of closures per subscription (no operator chain) because apps watch thousands of tasks:
 * per reading it allocates the snapshot and the event, nothing else of its own.
 */
export function runTask<R>(
  subscriber: Subscriber<TaskEvent<R>>,
  plan: TaskPlan<R>,
  onCancelError?: CancelErrorHandler,
): () => void {
  const { source, handle } = plan;
  const taskId = source.id;
  const startedAt = now();
  let polls = 0;
  let progress: number | undefined;
  let subtask: string | undefined;
  let message: string | undefined;
  let last: TaskSnapshot | undefined;
  // `terminal`: a terminal reading arrived, so the task needs no cancel. `ended`: the stream completed or
  // errored on its own, so nothing downstream is waiting any more.
  let terminal = false;
  let ended = false;
  let loop: Subscription | undefined;
  let fetching: Subscription | undefined;

  const fail = (error: unknown): void => {
    ended = true;
    subscriber.error(error);
  };

  const succeed = (result: R, snapshot: TaskSnapshot): void => {
    ended = true;
    subscriber.next({ type: 'result', snapshot, result, task: handle });
    subscriber.complete();
  };

  const fetchResult = (reading: TaskReading<R>, snapshot: TaskSnapshot): void => {
    if (reading.result !== undefined || source.result === undefined) {
      succeed(reading.result as R, snapshot);
      return;
    }
    let request: Observable<R>;
    try {
      request = source.result(reading);
    } catch (error) {
      fail(error);
      return;
    }
    if (!isSubscribable<R>(request)) {
      fail(new SourceContractError(`Source "${taskId}": result() returned ${typeof request}, not an Observable.`, { taskId }));
      return;
    }
    let delivered = false;
    fetching = request.subscribe({
      next(result) {
        if (delivered) return;
        delivered = true;
        succeed(result, snapshot);
      },
      error: fail,
      complete() {
        if (!delivered) {
          fail(new SourceContractError(`Source "${taskId}": result() completed without a result; it must emit the result of the succeeded task.`, { taskId }));
        }
      },
    });
    if (delivered) fetching.unsubscribe();
  };

  const observer: Observer<TaskReading<R>> = {
    next(reading) {
      if (terminal || ended) return;
      const problem = checkReading(reading, taskId);
      if (problem !== undefined) {
        stopLoop();
        fail(problem);
        return;
      }
      polls++;
      if (reading.progress !== undefined) progress = reading.progress;
      if (reading.subtask !== undefined) subtask = reading.subtask;
      if (reading.message !== undefined) message = reading.message;
      const { runStatus } = reading;
      const snapshot: TaskSnapshot = {
        taskId,
        runStatus,
        vendorStatus: typeof reading.vendorStatus === 'string' ? reading.vendorStatus : runStatus,
        progress,
        subtask,
        message,
        polls,
        elapsedMs: now() - startedAt,
        raw: reading.raw,
      };
      last = snapshot;
      switch (runStatus) {
        case 'succeeded':
          terminal = true;
          stopLoop();
          fetchResult(reading, snapshot);
          return;
        case 'failed':
          terminal = true;
          stopLoop();
          fail(new TaskFailedError(snapshot, reading.failure));
          return;
        case 'canceled':
          terminal = true;
          stopLoop();
          fail(new TaskCanceledError(snapshot));
          return;
        default:
          subscriber.next({ type: 'progress', snapshot, task: handle });
      }
    },
    error(error: unknown) {
      if (terminal) return;
      // A strategy's own time limit (maxWaitMs) cannot know the snapshot; the engine does.
      if (error instanceof TaskTimeoutError && error.lastSnapshot === undefined && last !== undefined) {
        fail(new TaskTimeoutError(error.timeoutMs, error.elapsedMs, last));
        return;
      }
      fail(error);
    },
    complete() {
      if (!terminal) fail(new PollingStoppedError(last, taskId));
    },
  };

  function stopLoop(): void {
    // During the synchronous first subscribe `loop` is not assigned yet; the check after subscribe covers it.
    loop?.unsubscribe();
  }

  const startLoop = (): void => {
    let readings: unknown;
    try {
      readings = plan.strategy(plan.readOnce);
    } catch (error) {
      // A strategy that throws is a bug in it: report it, and do not cancel a task that may be fine.
      fail(error);
      return;
    }
    if (!isSubscribable<TaskReading<R>>(readings)) {
      fail(new TypeError(`pollTask$: the strategy returned ${typeof readings}, not an Observable; a strategy is an operator such as withBackoff().`));
      return;
    }
    loop = readings.subscribe(observer);
    if (terminal || ended) loop.unsubscribe();
  };
  startLoop();

  return () => {
    loop?.unsubscribe();
    fetching?.unsubscribe();
    if (onCancelError !== undefined && !terminal && !ended) fireCancel(handle, onCancelError);
  };
}
