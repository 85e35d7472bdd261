import type { RunStatus } from '../../snapshot.js';

/**
 * What a simulated task is doing when it is read, on the common lifecycle: `pending` is a running task's first
 * read, before it made progress (accepted, not started); `canceling` is the read after a cancel arrived.
 */
export type SimPhase = Exclude<RunStatus, 'suspended'>;

/** The six phases, in lifecycle order. */
export const SIM_PHASES: readonly SimPhase[] = Object.freeze(['pending', 'running', 'canceling', 'succeeded', 'failed', 'canceled'] as const);

/** Whether the task is still working in `phase` (`pending` or `running`). */
export function isRunning(phase: SimPhase | 'expired'): boolean {
  return phase === 'pending' || phase === 'running';
}

/** A simulated task at one read: what its status answer is written from. */
export interface SimStatus {
  /** The task's id. */
  readonly id: string;
  /**
   * What it is doing. `expired` (its data is gone) is written only under an injected status word, or at a
   * result path of its own ({@link SimWire.result}): its status path answers 404.
   */
  readonly phase: SimPhase | 'expired';
  /** The status word to write: the wire's word for the phase, or the word a fault injects; none for an expired task without one. */
  readonly word: string | undefined;
  /** How far it is, from 0 to 1: 1 once it is no longer running. */
  readonly fraction: number;
  /** Its progress in percent while it runs (as its spec's `progress` says), or undefined. */
  readonly percent: number | undefined;
  /** The phase name (its spec's `subtasks`) while it runs, or undefined. */
  readonly subtask: string | undefined;
  /** The result of a succeeded task; undefined in any other phase. */
  readonly result: unknown;
  /** Why it failed (its spec's `failure`, defaults filled in). */
  readonly failure: { readonly code: string; readonly message: string };
  /** Milliseconds since it was created, on the server's monotonic clock. */
  readonly ageMs: number;
  /** The wall clock now, in milliseconds since the epoch (for services that write timestamps). */
  readonly wallClockMs: number;
  /** Whether it was asked to cancel. */
  readonly cancelRequested: boolean;
}

/** An answer the simulator sends: a JSON body, or none at all (no content-type either) when `body` is undefined. */
export interface SimAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** How a service takes a cancel. */
export interface SimCancel {
  /** The HTTP method of a cancel, on any path of the task. */
  readonly method: string;
  /** The 400 body for a cancel whose request body asks for something else, or undefined when it asks to cancel. */
  refusal?(text: string): unknown;
  /** The answer to an accepted cancel. */
  readonly accepted: SimAnswer;
}

/** How a service takes a new task. */
export interface SimSubmit {
  /** The path a POST creates a task at. */
  readonly route: RegExp;
  /** The new task's spec, out of the request's JSON body (the simulator checks it as `create` does). */
  spec(body: unknown): unknown;
  /** The answer to a submission at `path` that created the task `id`. */
  accepted(path: string, id: string): SimAnswer;
}

/**
 * One service's task API as the simulator writes it: where its tasks live, the word and body of each phase,
 * and what it takes besides status reads (a result path, a cancel, a submission, a required header). The
 * dialect in `lib/http` that reads this service is its other half: `spec/testing/wire.spec.ts` checks that
 * each reads what the other writes.
 */
export interface SimWire {
  /** Where its tasks live: a path pattern whose first group is the task id (URL-encoded). */
  readonly route: RegExp;
  /** The status URL of the task `id` on the simulator at `base`, and the options its builder takes (`SimTask.ids`). */
  locate(base: string, id: string): { readonly url: string; readonly ids: Readonly<Record<string, string>> };
  /** Its status word for each phase. */
  readonly words: Readonly<Record<SimPhase, string>>;
  /**
   * The phases it has no word of their own for, and what its word for them means instead (Benchling's `FAILED`
   * for a canceled task): without an entry, a phase's word means the phase itself.
   */
  readonly reportedAs?: Readonly<Partial<Record<SimPhase, RunStatus>>>;
  /** The status body of a task, with `status.word` as its status word. */
  statusBody(status: SimStatus): Record<string, unknown>;
  /** A result that lives apart from the status: which paths of the route are the result, and how a GET there is answered. */
  readonly result?: {
    readonly isResult: (match: RegExpExecArray) => boolean;
    readonly answer: (status: SimStatus) => SimAnswer;
  };
  /** A request header every request about a task must carry, and the 400 body sent without it. */
  readonly requires?: { readonly header: string; readonly missing: unknown };
  /** How it cancels; without it, a cancel is answered 405 as any other method. */
  readonly cancel?: SimCancel;
  /** How it creates tasks over HTTP, besides the control API. */
  readonly submit?: SimSubmit;
}
