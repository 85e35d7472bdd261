// Type tests: compiled by `npm run typecheck` (tsc), never run. Each `@ts-expect-error` line must fail to
// compile, so a change that loosens a type breaks the build.
import * as t from 'io-ts';
import type { Observable, Subscription } from 'rxjs';
import {
  cancelOnUnsubscribe,
  pollAll$,
  pollTask$,
  startTask$,
  taskSource,
  taskState,
  timeoutAfter,
  toResult,
  waitForCompletion,
  waitForResult,
  withBackoff,
  withInterval,
  type PollStrategy,
  type Outcome,
  type OutcomeFailed,
  type OutcomeSucceeded,
  type TaskSnapshot,
  type TaskEvent,
  type TaskSource,
  type TaskState,
} from 'poll-task';

interface Report {
  rows: number;
}
declare const source: TaskSource<Report>;
declare function render(event: TaskEvent<Report>): void;

// The typical use from the issue compiles as written.
export const subscription: Subscription = pollTask$(source, withBackoff({ initialDelayMs: 2000, factor: 1.5, maxDelayMs: 30_000 }))
  .pipe(timeoutAfter(300_000), cancelOnUnsubscribe())
  .subscribe(render);

// The result type flows from the source to the result.
export const rows$: Observable<Report> = pollTask$(source).pipe(toResult());
// @ts-expect-error the result is a Report, not a string
export const wrong$: Observable<string> = pollTask$(source).pipe(toResult());

// The event union narrows on `type`.
pollTask$(source).subscribe((event) => {
  if (event.type === 'result') {
    const count: number = event.result.rows;
    void count;
  } else {
    // @ts-expect-error a progress event has no result
    void event.result;
  }
});

// An io-ts codec types the result of a source built with taskSource.
const ReportCodec = t.type({ rows: t.number });
export const decoded: TaskSource<{ rows: number }> = taskSource({
  id: 'job-1',
  read: async () => ({ runStatus: 'running', vendorStatus: 'RUNNING', raw: {} }),
  resultCodec: ReportCodec,
});
// @ts-expect-error the codec decodes { rows: number }, not a string
export const mistyped: TaskSource<string> = taskSource({ id: 'job-1', read: async () => ({ runStatus: 'running', vendorStatus: 'R', raw: {} }), resultCodec: ReportCodec });

taskSource({
  id: 'job-1',
  // @ts-expect-error runStatus must be one of the seven RunStatus words
  read: async () => ({ runStatus: 'RUNNING', vendorStatus: 'RUNNING', raw: {} }),
});

// Built-in strategies fit any result type; strategies are plain operators.
export const forReports: PollStrategy<Report> = withInterval(500);
export const forStrings: PollStrategy<string> = withBackoff();
// A strategy typed without a result type fits every source, and the result type still comes from the source.
declare const untyped: PollStrategy;
export const viaUntyped$: Observable<Report> = pollTask$(source, untyped).pipe(toResult());
// @ts-expect-error the result is still a Report
export const viaUntypedWrong$: Observable<string> = pollTask$(source, untyped).pipe(toResult());
// @ts-expect-error a misspelt option is a compile error too
withBackoff({ intialDelayMs: 1000 });
// @ts-expect-error withInterval needs its interval
withInterval();

// The Promise helpers keep the result type.
export const result: Promise<Report> = waitForResult(source, { timeoutMs: 600_000 });
export const completion: Promise<Outcome<Report>> = waitForCompletion(source);
void completion.then((c) => {
  // Before narrowing, `result` and `error` can be read but may be undefined; `snapshot` may be missing.
  // @ts-expect-error the result may be missing
  const early: Report = c.result;
  // @ts-expect-error so may the snapshot
  const earlySnapshot: TaskSnapshot = c.snapshot;
  void early;
  void earlySnapshot;
  if (c.ok) {
    const count: number = c.result.rows;
    const polls: number = c.snapshot.polls;
    const succeeded: OutcomeSucceeded<Report> = c;
    void count;
    void polls;
    void succeeded;
  } else {
    const failed: OutcomeFailed = c;
    const error: unknown = c.error;
    // @ts-expect-error a failed outcome has no result
    const none: Report = c.result;
    // @ts-expect-error and maybe no snapshot
    const snapshot: TaskSnapshot = c.snapshot;
    void failed;
    void error;
    void none;
    void snapshot;
  }
});
// @ts-expect-error Benchling's `success` is `ok` here
void completion.then((c) => c.success);

// pollAll$ in settle mode ends with one Outcome per task; fail-fast with the results themselves.
export const settled$ = pollAll$([source], { mode: 'settle' });
settled$.subscribe((event) => {
  if (event.type !== 'result') return;
  const outcomes: readonly Outcome<Report>[] = event.results;
  const first = outcomes[0]!;
  if (first.ok) {
    const rows: number = first.result.rows;
    void rows;
  }
  // @ts-expect-error settle results are outcomes, not results
  const reports: readonly Report[] = event.results;
  void reports;
});
pollAll$([source]).subscribe((event) => {
  if (event.type !== 'result') return;
  const reports: readonly Report[] = event.results;
  void reports;
});

// taskState gives a state union for UIs: switch on `state`, or narrow on `ok` once it ended.
export const state$: Observable<TaskState<Report>> = pollTask$(source).pipe(taskState());
state$.subscribe((s) => {
  if (s.state === 'succeeded') {
    const ok: true = s.ok;
    const rows: number = s.result.rows;
    const outcome: Outcome<Report> = s;
    void ok;
    void rows;
    void outcome;
  }
  if (s.state === 'failed') {
    const ok: false = s.ok;
    const outcome: OutcomeFailed = s;
    void ok;
    void outcome;
  }
  if (s.ok === true) {
    const succeeded: 'succeeded' = s.state;
    const rows: number = s.result.rows;
    void succeeded;
    void rows;
  }
  if (s.ok === false) {
    const failed: 'failed' = s.state;
    void failed;
  }
  // @ts-expect-error the result may be missing while the task is active
  const early: Report = s.result;
  void early;
});

// startTask$ infers the result type from the source that start delivers.
export const started$: Observable<TaskEvent<Report>> = startTask$(async () => source);
