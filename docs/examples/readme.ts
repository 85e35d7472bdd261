// The README's example, compiled by `npm test` (spec/docs.spec.ts checks the README shows exactly this).
// #region readme
import { cancelOnUnsubscribe, pollTask$, taskSource, timeoutAfter, withBackoff } from 'poll-task';

const render = taskSource({
  id: 'render-42',
  read: async (signal) => {
    const job = await (await fetch('https://farm.example.com/jobs/42', { signal })).json();
    return { runStatus: job.done ? 'succeeded' : 'running', vendorStatus: job.state, progress: job.pct / 100, result: job.output, raw: job };
  },
  cancel: (signal) => fetch('https://farm.example.com/jobs/42', { method: 'DELETE', signal }),
});

const watching = pollTask$(render, withBackoff({ initialDelayMs: 2000, factor: 1.5, maxDelayMs: 30_000 }))
  .pipe(timeoutAfter(300_000), cancelOnUnsubscribe())
  .subscribe({
    next: (e) => console.log(e.type === 'result' ? `done: ${e.result}` : `${Math.round((e.snapshot.progress ?? 0) * 100)}%`),
    error: (err: Error) => console.error(err.message),
  });
// Later, if nobody needs the render any more: watching.unsubscribe() cancels the job on the farm.
// #endregion
export { watching };
