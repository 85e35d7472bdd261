// The dashboard case: twenty render tasks on one screen, each row its own status, one bar for the batch,
// a failed render shown in its row instead of ending the page; leaving the page cancels what still runs.
import type { Observable } from 'rxjs';
import { map } from 'rxjs';
import { cancelOnUnsubscribe, pollAll$, withInterval, type TaskSource } from 'poll-task';

/** One line of the dashboard. */
export interface Row {
  readonly id: string;
  readonly status: string;
  readonly percent: number;
}

/** What the dashboard shows after every reading. */
export interface Board {
  readonly rows: readonly Row[];
  readonly overall: number;
  readonly finished: string;
  readonly failures: readonly string[];
}

/** The dashboard's state as a stream: subscribe to show it, unsubscribe (leave the page) to cancel the renders. */
export function renderBoard$(renders: readonly TaskSource[], intervalMs = 2000): Observable<Board> {
  return pollAll$(renders, { mode: 'settle', concurrency: 10, strategy: withInterval(intervalMs) }).pipe(
    cancelOnUnsubscribe(),
    map((event) => ({
      rows: [...event.tasks.values()].map((s) => ({ id: s.taskId, status: s.vendorStatus, percent: Math.round((s.progress ?? 0) * 100) })),
      overall: Math.round(event.progress * 100),
      finished: `${event.done} of ${event.total}`,
      failures:
        event.type === 'result'
          ? event.results.flatMap((r, i) => (r.ok ? [] : [`${renders[i]!.id}: ${r.error instanceof Error ? r.error.message : String(r.error)}`]))
          : [],
    })),
  );
}
