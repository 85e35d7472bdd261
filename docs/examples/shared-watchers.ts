// The shared-watcher case: three components show the same job. One poller gives them one polling loop and
// one request per poll, whatever their number; the job is cancelled only when the last of them leaves, and
// only if that one asked for it.
import type { Observable, Subscription } from 'rxjs';
import { cancelOnUnsubscribe, createTaskPoller, taskState, type TaskPoller, type TaskSource, type TaskState } from 'poll-task';

/** One poller for the whole app: its budget holds across every task it watches. */
export const poller = createTaskPoller({ maxConcurrentRequests: 6, maxRequestsPerSecond: 20 });

/** The header badge: only shows the state; leaving it never cancels the job. */
export function badge$(job: TaskSource, using: TaskPoller = poller): Observable<TaskState<unknown>> {
  return using.watch(job).pipe(taskState());
}

/** The job page: leaving it cancels the job, unless another view still watches it. */
export function jobPage(job: TaskSource, render: (state: TaskState<unknown>) => void, using: TaskPoller = poller): Subscription {
  return using.watch(job).pipe(cancelOnUnsubscribe(), taskState()).subscribe(render);
}
