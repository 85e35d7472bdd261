// The core entry of poll-task. Browser-safe: nothing here imports a Node-only module.

export { pollTask$, TaskStream } from './core/poll-task.js';
export type { CancelableStream, CancelErrorHandler } from './core/cancel.js';
export { startTask$ } from './start-task.js';
export type { TaskStarter } from './start-task.js';
export { taskSource } from './task-source.js';
export type { DecodedTaskSourceConfig, SourceAnswer, TaskSourceConfig } from './task-source.js';
export type { TaskSource } from './task-source.js';

export { RUN_STATUSES, isRunStatus, isTerminalStatus } from './snapshot.js';
export type { RunStatus, TaskFailure, TaskReading, TaskSnapshot } from './snapshot.js';
export type { TaskEvent, TaskHandle, TaskProgressEvent, TaskResultEvent } from './events.js';

export { withBackoff } from './strategies/with-backoff.js';
export type { JitterRange, WithBackoffConfig } from './strategies/with-backoff.js';
export type { BackoffSchedule } from './strategies/backoff-delay.js';
export { withInterval } from './strategies/with-interval.js';
export type { IntervalSchedule, WithIntervalConfig } from './strategies/with-interval.js';
export { withEta } from './strategies/with-eta.js';
export type { EtaSchedule } from './strategies/with-eta.js';
export { pauseWhile } from './strategies/pause-while.js';
export { documentHidden$ } from './strategies/document-hidden.js';
export type { WithEtaConfig } from './strategies/with-eta.js';
export { pollStrategy } from './strategies/poll-strategy.js';
export type { AnyPollStrategy, PollStrategy } from './strategies/poll-strategy.js';
export type { DelayFunction, LoopOptions, PlannedStrategy, PollPlan, PollPlanConfig, PollSchedule } from './core/plan.js';

export { timeoutAfter } from './operators/timeout-after.js';
export type { TimedEvent, TimeoutAfterConfig } from './operators/timeout-after.js';
export { cancelOnUnsubscribe } from './operators/cancel-on-unsubscribe.js';
export type { CancelableEvent, CancelOnUnsubscribeConfig } from './operators/cancel-on-unsubscribe.js';
export { toResult } from './operators/to-result.js';
export { taskState } from './operators/task-state.js';
export type { TaskActiveState, TaskFailedState, TaskState, TaskSucceededState } from './operators/task-state.js';

export { pollAll$ } from './combine/poll-all.js';
export type { PollAllEvent, PollAllOptions, PollAllProgressEvent, PollAllResultEvent, PollAllSettledEvent } from './combine/poll-all.js';
export { createTaskPoller } from './combine/task-poller.js';
export type { TaskPoller, TaskPollerConfig, TaskPollerStats } from './combine/task-poller.js';

export { waitForResult } from './wait-for-result.js';
export type { WaitOptions } from './wait-for-result.js';
export { waitForCompletion } from './wait-for-completion.js';
export type { Outcome, OutcomeFailed, OutcomeSucceeded } from './core/outcome.js';

export {
  AbortError,
  CancelUnsupportedError,
  DecodeError,
  PollingStoppedError,
  PollTaskError,
  SourceContractError,
  TaskCanceledError,
  TaskFailedError,
  TaskTimeoutError,
  TransportError,
  UnknownStatusError,
  UnsafeUrlError,
  isPollTaskError,
  withDecision,
} from './errors.js';
export type { ErrorDecision, PollTaskErrorKind, PollTaskErrorOptions, TransportErrorOptions } from './errors.js';
