import { isRunning, type SimWire } from './wire.js';

/** The organisation and workspace of a simulated task. */
const org = '3a1f0c52-9a0e-4f6b-8d2c-1b7e5f0a9c11';
const workspace = 'ws-1';

/**
 * Deep Intelligence's tasks as the simulator writes them (`/api/v1/workspace/{ws}/task/{id}`, which requires the
 * `x-deepint-organization` header): `pending`, `running`, `success` (a source's id as `result`), `failed` (with
 * `error_code` and `error_description`), with progress, subtask and duration. It has no word for a cancel, and
 * takes none.
 */
export const deepintWire: SimWire = {
  route: /^\/api\/v1\/workspace\/[^/]+\/task\/([^/]+)$/,
  locate: (base, id) => ({
    url: `${base}/api/v1/workspace/${workspace}/task/${encodeURIComponent(id)}`,
    ids: { baseUrl: base, organizationId: org, workspaceId: workspace, taskId: id },
  }),
  words: { pending: 'pending', running: 'running', canceling: 'failed', succeeded: 'success', failed: 'failed', canceled: 'failed' },
  reportedAs: { canceling: 'failed', canceled: 'failed' },
  statusBody: (status) => ({
    id: status.id,
    name: `Simulated task ${status.id}`,
    status: status.word,
    progress: status.percent ?? (isRunning(status.phase) ? 0 : 100),
    subtask: status.subtask ?? '',
    duration: Math.round(status.ageMs),
    ...(status.phase === 'succeeded' ? { result: `src-${status.id}`, result_type: 'source' } : {}),
    ...(status.phase === 'failed' || status.phase === 'canceled' ? { error_code: status.failure.code, error_description: status.failure.message } : {}),
  }),
  requires: { header: 'x-deepint-organization', missing: { code: 'MISSING_ORGANIZATION', message: 'The x-deepint-organization header is required.' } },
};
