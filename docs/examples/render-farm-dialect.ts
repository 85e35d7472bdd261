// A dialect for a JSON task API that is not built in: a render farm whose jobs answer
// GET /jobs/{id} → { "state": "QUEUED" | "RENDERING" | "DONE" | "BROKEN" | "STOPPED", "frame": n, "frames": n, "error"?: {…} }
// and keep their output at GET /jobs/{id}/output; DELETE /jobs/{id} stops a job.
import * as t from 'io-ts';
import { withBackoff } from 'poll-task';
import { defineDialect, httpTask, statusFrom, type HttpSourceOptions } from 'poll-task/http';

const RenderJob = t.intersection([
  t.type({ state: t.string }),
  t.partial({ frame: t.number, frames: t.number, error: t.type({ code: t.string, message: t.string }) }),
]);

/** How the render farm talks. */
export const renderFarm = defineDialect({
  name: 'Render farm',
  status: RenderJob,
  toReading: (job) => ({
    runStatus: statusFrom({ QUEUED: 'pending', RENDERING: 'running', DONE: 'succeeded', BROKEN: 'failed', STOPPED: 'canceled' }, job.state),
    vendorStatus: job.state,
    ...(job.frames ? { progress: (job.frame ?? 0) / job.frames, message: `frame ${job.frame ?? 0} of ${job.frames}` } : {}),
    ...(job.error ? { failure: job.error } : {}),
  }),
  resultUrl: (statusUrl) => `${statusUrl}/output`,
  cancel: (statusUrl) => ({ method: 'DELETE', url: statusUrl }),
  defaultStrategy: withBackoff({ initialDelayMs: 1000, maxDelayMs: 10_000 }),
});

/** The output of a finished render. */
export const RenderOutput = t.type({ url: t.string, frames: t.number }, 'RenderOutput');

/** The source of render job `id` on the farm at `farmUrl`. */
export function renderJob(farmUrl: string, id: string, options: HttpSourceOptions<t.TypeOf<typeof RenderOutput>> = {}) {
  return httpTask({ url: `${farmUrl}/jobs/${encodeURIComponent(id)}`, dialect: renderFarm, result: RenderOutput, ...options });
}
