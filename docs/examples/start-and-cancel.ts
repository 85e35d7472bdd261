// "Subscribe starts the job, unsubscribe cancels it": startTask$ with cancelOnUnsubscribe.
import type { Observable } from 'rxjs';
import { cancelOnUnsubscribe, startTask$, withInterval, type TaskEvent } from 'poll-task';
import { jobSource, send, type Report } from './fetch-source.js';

/**
 * A job that exists only while somebody watches it: subscribing POSTs it, the stream follows it to its report,
 * and unsubscribing before it finished DELETEs it (even while the POST is still on its way).
 */
export function renderJob$(api: string, scene: string, intervalMs = 1000): Observable<TaskEvent<Report>> {
  return startTask$(async (signal) => {
    const created = (await (await send(`${api}/jobs`, { method: 'POST', body: JSON.stringify({ scene }), signal })).json()) as { id: string };
    return jobSource(api, created.id);
  }, withInterval(intervalMs)).pipe(cancelOnUnsubscribe({ onError: (error, task) => console.error(`could not cancel ${task.id}`, error) }));
}
