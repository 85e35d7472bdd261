import { isRunning, type SimStatus, type SimWire } from './wire.js';

/** The organisation id in a simulated job's path. */
const org = '3a1f0c52-9a0e-4f6b-8d2c-1b7e5f0a9c11';

const words = { pending: 'requested', running: 'in progress', canceling: 'cancelling', succeeded: 'succeeded', failed: 'failed', canceled: 'cancelled' } as const;

/** A job's `JobStatusResponse`: its word, progress, message, and a failed job's problem details. */
function statusBody(status: SimStatus): Record<string, unknown> {
  const running = isRunning(status.phase);
  return {
    status: status.word,
    progress: status.percent ?? (running ? null : 100),
    message: status.subtask ?? (running ? 'Working' : null),
    ...(status.phase === 'failed' ? { error: { status: 500, type: status.failure.code, title: 'Job failed', detail: status.failure.message } } : {}),
  };
}

/**
 * Seequent Evo's compute jobs as the simulator writes them: the status at `…/compute/orgs/{org}/{topic}/{task}/{job}/status`
 * (`requested`, `in progress`, `cancelling`, `succeeded`, `failed`, `cancelled`, with progress and message), the
 * result apart at `…/{job}` (202 with the status until the job ends), cancel by `DELETE` (204), and new jobs
 * by `POST …/compute/orgs/{org}/{topic}/{task}`, whose `parameters.simulate` may hold the job's spec.
 */
export const evoWire: SimWire = {
  route: /^\/compute\/orgs\/[^/]+\/[^/]+\/[^/]+\/([^/]+)(\/status)?$/,
  locate: (base, id) => {
    const url = `${base}/compute/orgs/${org}/geostatistics/kriging/${encodeURIComponent(id)}/status`;
    return { url, ids: { url } };
  },
  words,
  statusBody,
  result: {
    isResult: (match) => match[2] !== '/status',
    answer: (status) =>
      status.phase === 'succeeded'
        ? { status: 200, body: { status: words.succeeded, results: status.result } }
        : status.phase === 'failed'
          ? { status: 200, body: { status: words.failed, error: statusBody(status).error } }
          : { status: 202, body: statusBody(status) },
  },
  cancel: { method: 'DELETE', accepted: { status: 204 } },
  submit: {
    route: /^\/compute\/orgs\/[^/]+\/[^/]+\/[^/]+$/,
    spec: (body) => (body as { parameters?: { simulate?: unknown } } | null)?.parameters?.simulate ?? {},
    accepted: (path, id) => ({ status: 202, body: { message: 'Job requested' }, headers: { location: `${path}/${encodeURIComponent(id)}/status` } }),
  },
};
