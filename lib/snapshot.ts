/**
 * The lifecycle words every task is mapped onto, whatever its service calls them.
 *
 * - `pending`: accepted, not started (queued, scheduled, assigned).
 * - `running`: working.
 * - `suspended`: paused by the service or an operator; it may resume, so polling goes on.
 * - `canceling`: a cancel was asked for and is being carried out; polling goes on until `canceled`.
 * - `succeeded`, `failed`, `canceled`: terminal. Polling stops at the first terminal reading.
 */
export type RunStatus =
  | 'pending'
  | 'running'
  | 'suspended'
  | 'canceling'
  | 'succeeded'
  | 'failed'
  | 'canceled';

/**
 * The seven {@link RunStatus} words, in lifecycle order.
 *
 * @example
 * RUN_STATUSES.includes(word as RunStatus)
 */
export const RUN_STATUSES: readonly RunStatus[] = Object.freeze([
  'pending',
  'running',
  'suspended',
  'canceling',
  'succeeded',
  'failed',
  'canceled',
] as const);

/**
 * Whether `value` is one of the seven {@link RunStatus} words. Useful in plain-JS sources and dialects.
 *
 * @example
 * isRunStatus('running') // true
 * isRunStatus('in-progress') // false: map the vendor word first
 */
export function isRunStatus(value: unknown): value is RunStatus {
  switch (value) {
    case 'pending':
    case 'running':
    case 'suspended':
    case 'canceling':
    case 'succeeded':
    case 'failed':
    case 'canceled':
      return true;
    default:
      return false;
  }
}

/**
 * Whether a status ends the wait: `succeeded`, `failed` or `canceled`.
 *
 * @example
 * isTerminalStatus('canceling') // false: the cancel is still being carried out
 */
export function isTerminalStatus(status: RunStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'canceled';
}

/**
 * Why a task failed, as the service said it: its code, its text and anything else it sent.
 */
export interface TaskFailure {
  /** The service's own error code, e.g. Deep Intelligence's `error_code` or Evo's problem `type`. */
  readonly code?: string;
  /** The service's own error text. */
  readonly message?: string;
  /** Everything else the service sent about the failure (error lists, exit codes, problem details). */
  readonly details?: unknown;
}

/**
 * What a {@link TaskSource} returns for one status request: the service's answer mapped onto the
 * common model, with nothing of the original lost.
 *
 * @typeParam R - the type of the task's result.
 */
export interface TaskReading<R = unknown> {
  /** The status on the common lifecycle. */
  readonly runStatus: RunStatus;
  /** The service's own status word, verbatim (e.g. `"in progress"`, `"NOT_COMPATIBLE"`). Never lost. */
  readonly vendorStatus: string;
  /** Progress from 0 to 1. Sources normalise percentages; omit it when the service reports none. */
  readonly progress?: number;
  /** The name of the current step, when the service reports one (Deep Intelligence's `subtask`). */
  readonly subtask?: string;
  /** A human-readable status text, when the service sends one (Evo's `message`). */
  readonly message?: string;
  /** The result, on a `succeeded` reading whose response carries it inline. */
  readonly result?: R;
  /** Why the task failed, on a `failed` reading. */
  readonly failure?: TaskFailure;
  /** The server's hint (Retry-After) for when to read again, in milliseconds. Strategies honour it. */
  readonly retryAfterMs?: number;
  /** The decoded response body, untouched. */
  readonly raw: unknown;
}

/**
 * What subscribers see of a task after each reading.
 *
 * `progress`, `subtask` and `message` carry over from earlier readings when the latest one omits them,
 * so a UI never flickers back to "no progress".
 */
export interface TaskSnapshot {
  /** The id of the task's source ({@link TaskSource.id}). */
  readonly taskId: string;
  /** The latest status on the common lifecycle. */
  readonly runStatus: RunStatus;
  /** The service's own word for it, verbatim. */
  readonly vendorStatus: string;
  /** The latest known progress, 0 to 1. */
  readonly progress?: number;
  /** The latest known step name. */
  readonly subtask?: string;
  /** The latest known status text. */
  readonly message?: string;
  /** How many readings this subscription has received, counting this one (1-based). */
  readonly polls: number;
  /**
   * Milliseconds since the subscription began, by the RxJS scheduler clock (`asyncScheduler.now()`),
   * so it is virtual time under `TestScheduler.run`.
   */
  readonly elapsedMs: number;
  /** The decoded body of the latest reading, untouched. */
  readonly raw: unknown;
}
