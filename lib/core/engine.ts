import { Observable, type Observer, type SchedulerLike, type Subscriber, type Subscription, type Unsubscribable } from 'rxjs';
import {
  PollingStoppedError,
  SourceContractError,
  TaskCanceledError,
  TaskFailedError,
  TaskTimeoutError,
  UnknownStatusError,
} from '../errors.js';
import type { TaskEvent, TaskHandle } from '../events.js';
import { isRunStatus, isTerminalStatus, type TaskReading, type TaskSnapshot } from '../snapshot.js';
import type { TaskSource } from '../task-source.js';
import type { PollStrategy } from '../strategies/poll-strategy.js';
import { withBackoff } from '../strategies/with-backoff.js';
import { excerpt } from '../util/excerpt.js';
import { isSubscribable, isThenable } from '../util/observable-like.js';
import { fireCancel, type CancelErrorHandler } from './cancel.js';
import { defaultScheduler } from './clock.js';
import { createHandle } from './handle.js';
import { Loop } from './loop.js';
import { planOfStrategy, type PollPlan } from './plan.js';
import { fromAbortable, ReadAborts, type RequestAbort } from '../util/abortable.js';
import { enterClock, leaveClock } from './wait-scope.js';

// The engine: one wait for one subscriber, from the first request to the end of the stream. It runs a
// strategy's plan as a Loop on the source's reads; a strategy without a plan (a user's RxJS operator) is
// applied to a one-reading stream instead. Either way the readings come here, become snapshots and events,
// and the end is decided here.

/** The source `id` broke its contract: `what` says how, after `Source "<id>": `. */
function broken(id: string, what: string): SourceContractError {
  return new SourceContractError(`Source "${id}": ${what}`, { taskId: id });
}

/** Everything about one task that does not change between subscriptions. */
export class TaskPlan<R> {
  /** The strategy's plan, when it has one: the engine then runs its loop on the source directly. */
  readonly loop: PollPlan | undefined;
  /** The clock of the wait: the plan's, else the default one. */
  readonly scheduler: SchedulerLike;
  private taskHandle: TaskHandle | undefined = undefined;

  constructor(
    readonly source: TaskSource<R>,
    readonly strategy: PollStrategy<R>,
  ) {
    this.loop = planOfStrategy(strategy);
    this.scheduler = this.loop?.scheduler ?? defaultScheduler;
  }

  /** The task's handle, made on first use: a wait that emits no events and cancels nothing never needs one. */
  get handle(): TaskHandle {
    return (this.taskHandle ??= createHandle(this.source));
  }
}

// Stateless across subscriptions (withBackoff keeps its state per subscription), so one instance serves all.
const defaultStrategy = withBackoff();

/** Builds the plan for `source`; `strategy` falls back to the source's own, then to `withBackoff()`. */
export function planTask<R>(source: TaskSource<R>, strategy: PollStrategy<R> | undefined): TaskPlan<R> {
  return new TaskPlan(source, strategy ?? source.defaultStrategy ?? defaultStrategy);
}

/** A source's read() answer, checked: an Observable, or the contract error to fail the request with. */
function request<R>(source: TaskSource<R>): Observable<TaskReading<R>> {
  const answer = source.read();
  if (!isSubscribable<TaskReading<R>>(answer)) {
    throw broken(source.id, `read() returned ${typeof answer}, not an Observable; wrap the request with taskSource() or return an Observable.`);
  }
  return answer;
}

const secondReading = 'read() emitted a second reading; one status request must give exactly one reading.';
const noReading = 'read() completed without a reading; a status request must emit one reading (or error).';

/**
 * One status request as a stream of exactly one reading, for strategies without a plan (they are operators
 * over it).
 */
function readOnce<R>(source: TaskSource<R>, scheduler: SchedulerLike): Observable<TaskReading<R>> {
  const { id } = source;
  return new Observable<TaskReading<R>>((subscriber) => {
    let readings = 0;
    const observer: Observer<TaskReading<R>> = {
      next(reading) {
        if (++readings === 1) subscriber.next(reading);
        else subscriber.error(broken(id, secondReading));
      },
      error(error: unknown) {
        subscriber.error(error);
      },
      complete() {
        if (readings === 0) subscriber.error(broken(id, noReading));
        else subscriber.complete();
      },
    };
    // The request learns the wait's clock while it is subscribed (see wait-scope).
    const outer = enterClock(scheduler);
    try {
      return request(source).subscribe(observer);
    } finally {
      leaveClock(outer);
    }
  });
}

/** What is wrong with a reading from a plain-JS source, or undefined when it can be used. */
function checkReading(reading: TaskReading<unknown>, id: string): Error | undefined {
  if (typeof reading !== 'object' || reading === null) {
    return broken(id, `read() emitted ${reading === null ? 'null' : typeof reading}, not a TaskReading object.`);
  }
  if (!isRunStatus(reading.runStatus)) {
    const status: unknown = reading.runStatus;
    // Not String(): a value from a plain-JS source may be nested too deeply to print, or throw when printed.
    const word = typeof reading.vendorStatus === 'string' ? reading.vendorStatus : typeof status === 'string' ? status : excerpt(status);
    return new UnknownStatusError(word, { taskId: id, raw: reading.raw });
  }
  const { progress } = reading;
  if (progress !== undefined && !(typeof progress === 'number' && progress >= 0 && progress <= 1)) {
    return broken(id, `reading progress ${excerpt(progress)} lies outside 0..1; sources report progress as a fraction (divide percentages by 100).`);
  }
  return undefined;
}

/**
 * Runs the polling loop of `plan` for one subscriber; unsubscribing the returned run is the teardown. With
 * `onCancelError`, an unsubscribe that comes before the task ended cancels it on the service. With
 * `resultOnly`, the subscriber gets the result alone (what toResult() makes of the events), not the events.
 */
export function runTask<R>(subscriber: Observer<TaskEvent<R>>, plan: TaskPlan<R>, onCancelError?: CancelErrorHandler): Unsubscribable;
export function runTask<R>(subscriber: Subscriber<R>, plan: TaskPlan<R>, onCancelError: CancelErrorHandler | undefined, resultOnly: true): Unsubscribable;
export function runTask<R>(
  subscriber: Observer<TaskEvent<R>> | Subscriber<R>,
  plan: TaskPlan<R>,
  onCancelError?: CancelErrorHandler,
  resultOnly = false,
): Unsubscribable {
  const run = new TaskRun(subscriber as Observer<unknown>, plan, onCancelError, resultOnly);
  run.start();
  return run;
}

/**
 * The engine's state for one subscription: turns readings into snapshots and events, and ends the stream.
 * One object with prototype methods rather than a set of closures, because apps keep thousands of tasks
 * waiting: per reading it allocates the snapshot and the event, nothing else of its own (and nothing at all
 * when only the result is wanted).
 */
class TaskRun<R> implements Unsubscribable {
  private readonly startedAt: number;
  private polls = 0;
  private progress: number | undefined = undefined;
  private subtask: string | undefined = undefined;
  private message: string | undefined = undefined;
  // The latest reading and when it came; its snapshot is made when someone needs it (an event, an error), so
  // a result-only wait allocates nothing per reading.
  private lastReading: TaskReading<R> | undefined = undefined;
  private lastElapsedMs = 0;
  private last: TaskSnapshot | undefined = undefined;
  // `terminal`: a terminal reading arrived, so the task needs no cancel. `ended`: the stream completed or
  // errored on its own, so nothing downstream is waiting any more.
  private terminal = false;
  private ended = false;
  private loop: Unsubscribable | undefined = undefined;
  private fetching: Subscription | undefined = undefined;

  constructor(
    // Gets TaskEvents, or with `resultOnly` the result alone. An RxJS Subscriber, or a poller's entry, which
    // is told directly: nothing is called on it after its error or complete.
    private readonly subscriber: Observer<unknown>,
    private readonly plan: TaskPlan<R>,
    private readonly onCancelError: CancelErrorHandler | undefined,
    private readonly resultOnly: boolean,
  ) {
    this.startedAt = plan.scheduler.now();
  }

  start(): void {
    const { plan } = this;
    if (plan.loop !== undefined) {
      const loop = new SourceLoop(plan.loop, plan.source, this);
      this.loop = loop;
      loop.start();
      return;
    }
    let readings: unknown;
    try {
      readings = plan.strategy(readOnce(plan.source, plan.scheduler));
    } catch (error) {
      // A strategy that throws is a bug in it: report it, and do not cancel a task that may be fine.
      this.fail(error);
      return;
    }
    if (!isSubscribable<TaskReading<R>>(readings)) {
      this.fail(new TypeError(`pollTask$: the strategy returned ${typeof readings}, not an Observable; a strategy is an operator such as withBackoff().`));
      return;
    }
    const loop = readings.subscribe(new StrategyObserver(this));
    // The stream may have ended while the strategy was being subscribed.
    if (this.terminal || this.ended) loop.unsubscribe();
    else this.loop = loop;
  }

  /** The teardown: stops the loop and any result request; cancels an unfinished task when asked to. */
  unsubscribe(): void {
    this.loop?.unsubscribe();
    this.fetching?.unsubscribe();
    if (this.onCancelError !== undefined && !this.terminal && !this.ended) fireCancel(this.plan.handle, this.onCancelError);
  }

  /** A reading from the loop. */
  reading(reading: TaskReading<R>): void {
    if (this.terminal || this.ended) return;
    const taskId = this.plan.source.id;
    const problem = checkReading(reading, taskId);
    if (problem !== undefined) {
      this.stopLoop();
      this.fail(problem);
      return;
    }
    this.polls++;
    if (reading.progress !== undefined) this.progress = reading.progress;
    if (reading.subtask !== undefined) this.subtask = reading.subtask;
    if (reading.message !== undefined) this.message = reading.message;
    this.lastReading = reading;
    this.lastElapsedMs = this.plan.scheduler.now() - this.startedAt;
    this.last = undefined;
    const { runStatus } = reading;
    if (this.resultOnly && !isTerminalStatus(runStatus)) return;
    const snapshot = this.snapshot()!;
    switch (runStatus) {
      case 'succeeded':
        this.terminal = true;
        this.stopLoop();
        this.fetchResult(reading, snapshot);
        return;
      case 'failed':
        this.terminal = true;
        this.stopLoop();
        this.fail(new TaskFailedError(snapshot, reading.failure));
        return;
      case 'canceled':
        this.terminal = true;
        this.stopLoop();
        this.fail(new TaskCanceledError(snapshot));
        return;
      default:
        if (!this.resultOnly) this.subscriber.next({ type: 'progress', snapshot, task: this.plan.handle } satisfies TaskEvent<R>);
    }
  }

  /** The loop ended with an error. */
  loopFailed(error: unknown): void {
    if (this.terminal) return;
    this.loop = undefined;
    // A strategy's own time limit (maxWaitMs) cannot know the snapshot; the engine does.
    const last = this.snapshot();
    if (error instanceof TaskTimeoutError && error.lastSnapshot === undefined && last !== undefined) {
      this.fail(new TaskTimeoutError(error.timeoutMs, error.elapsedMs, last));
      return;
    }
    this.fail(error);
  }

  /** The loop completed: fine after a terminal reading, a stopped strategy before one. */
  loopCompleted(): void {
    this.loop = undefined;
    if (!this.terminal) this.fail(new PollingStoppedError(this.snapshot(), this.plan.source.id));
  }

  /** The snapshot of the latest reading (made once), or undefined before the first. */
  private snapshot(): TaskSnapshot | undefined {
    const reading = this.lastReading;
    if (reading === undefined) return undefined;
    return (this.last ??= {
      taskId: this.plan.source.id,
      runStatus: reading.runStatus,
      vendorStatus: typeof reading.vendorStatus === 'string' ? reading.vendorStatus : reading.runStatus,
      progress: this.progress,
      subtask: this.subtask,
      message: this.message,
      polls: this.polls,
      elapsedMs: this.lastElapsedMs,
      raw: reading.raw,
    });
  }

  /** The result request's answer. */
  resultArrived(result: R, snapshot: TaskSnapshot): void {
    this.fetching?.unsubscribe();
    this.succeed(result, snapshot);
  }

  fail(error: unknown): void {
    this.ended = true;
    this.subscriber.error(error);
  }

  private stopLoop(): void {
    // During the synchronous first subscribe `loop` is not assigned yet; start() checks after subscribing.
    this.loop?.unsubscribe();
    this.loop = undefined;
  }

  private succeed(result: R, snapshot: TaskSnapshot): void {
    this.ended = true;
    this.subscriber.next(this.resultOnly ? result : ({ type: 'result', snapshot, result, task: this.plan.handle } satisfies TaskEvent<R>));
    this.subscriber.complete();
  }

  private fetchResult(reading: TaskReading<R>, snapshot: TaskSnapshot): void {
    const { source } = this.plan;
    if (reading.result !== undefined || source.result === undefined) {
      this.succeed(reading.result as R, snapshot);
      return;
    }
    let request: Observable<R>;
    try {
      request = source.result(reading);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (!isSubscribable<R>(request)) {
      this.fail(broken(source.id, `result() returned ${typeof request}, not an Observable.`));
      return;
    }
    const observer = new ResultObserver(this, snapshot);
    const outer = enterClock(this.plan.scheduler);
    let fetching: Subscription;
    try {
      fetching = request.subscribe(observer);
    } finally {
      leaveClock(outer);
    }
    if (observer.delivered) fetching.unsubscribe();
    else this.fetching = fetching;
  }
}

/** A plan's loop run on the source itself: no operator, no one-reading stream in between. */
class SourceLoop<R> extends Loop<R> implements Unsubscribable {
  private readings = 0;
  private aborts: ReadAborts | undefined = undefined;
  /** The abort of the read call in flight (see readCall), or undefined when none is. */
  private calling: RequestAbort | undefined = undefined;
  /** What stops a read call in flight: this loop itself, as the request's Unsubscribable (see `closed`). */
  private readonly call: Unsubscribable & { readonly closed: boolean };

  constructor(
    plan: PollPlan,
    private readonly source: TaskSource<R>,
    private readonly run: TaskRun<R>,
  ) {
    super(plan);
    this.call = new ReadCall(this);
  }

  protected send(): Unsubscribable {
    this.readings = 0;
    const { source } = this;
    const readCall = source.readCall;
    if (readCall === undefined) return request(source).subscribe(this.observer);
    // The source's read as a plain call (taskSource's): no Observable per read.
    const abort = this.readAbort();
    const answer = readCall.call(source, abort.signal);
    if (!isThenable<TaskReading<R>>(answer)) {
      // An Observable (or a wrong answer) gets what read() would have made of it.
      return fromAbortable(() => answer, `Source "${source.id}" read()`, source.id, () => abort).subscribe(this.observer);
    }
    this.calling = abort;
    answer.then(
      (reading) => this.called(reading),
      (error: unknown) => this.callFailed(error),
    );
    return this.call;
  }

  /** Whether a read call is in flight. */
  get inFlight(): boolean {
    return this.calling !== undefined;
  }

  /** Stops the read call in flight: its signal aborts (the wait is stopping: nothing shares it any more). */
  stopCall(): void {
    const abort = this.calling;
    this.calling = undefined;
    abort?.abort();
  }

  /** The read call answered (after stopCall the loop has stopped, and drops it). */
  private called(reading: TaskReading<R>): void {
    this.calling = undefined;
    this.reading(reading);
    this.answered();
  }

  private callFailed(error: unknown): void {
    this.calling = undefined;
    this.requestFailed(error);
  }

  /** The abort of the next read call: the loop's calls share them, as a call is abandoned only when the loop stops (see ReadAborts). */
  private readAbort(): RequestAbort {
    return (this.aborts ??= new ReadAborts()).next();
  }

  protected deliver(reading: TaskReading<R>): void {
    if (++this.readings === 1) this.run.reading(reading);
    else this.requestFailed(broken(this.source.id, secondReading));
  }

  override answered(): void {
    if (this.readings === 0) this.requestFailed(broken(this.source.id, noReading));
    else super.answered();
  }

  protected fail(error: unknown): void {
    this.run.loopFailed(error);
  }

  protected finish(): void {
    this.run.loopCompleted();
  }
}

/** A {@link SourceLoop}'s read call in flight, as the request the loop holds: unsubscribing aborts it. */
class ReadCall<R> implements Unsubscribable {
  constructor(private readonly loop: SourceLoop<R>) {}
  get closed(): boolean {
    return !this.loop.inFlight;
  }
  unsubscribe(): void {
    this.loop.stopCall();
  }
}

/** Observes a strategy without a plan. Prototype methods that only read `this.run` (see RequestObserver). */
class StrategyObserver<R> implements Observer<TaskReading<R>> {
  constructor(private readonly run: TaskRun<R>) {}
  next(reading: TaskReading<R>): void {
    this.run.reading(reading);
  }
  error(error: unknown): void {
    this.run.loopFailed(error);
  }
  complete(): void {
    this.run.loopCompleted();
  }
}

/** Observes the result request of a succeeded task: the first value is the result. */
class ResultObserver<R> implements Observer<R> {
  delivered = false;
  constructor(
    private readonly run: TaskRun<R>,
    private readonly snapshot: TaskSnapshot,
  ) {}
  next(result: R): void {
    if (this.delivered) return;
    this.delivered = true;
    this.run.resultArrived(result, this.snapshot);
  }
  error(error: unknown): void {
    this.run.fail(error);
  }
  complete(): void {
    if (!this.delivered) {
      const taskId = this.snapshot.taskId;
      this.run.fail(broken(taskId, 'result() completed without a result; it must emit the result of the succeeded task.'));
    }
  }
}
