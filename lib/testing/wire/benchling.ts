import { isRunning, type SimWire } from './wire.js';

/**
 * Benchling's task API as the simulator writes it (`GET /api/v2/tasks/{taskId}`): `RUNNING`, `SUCCEEDED` with
 * the result inline as `response`, `FAILED` with `message` and `errors`. It has no word for an accepted task
 * nor for a cancel, and takes no cancel.
 */
export const benchlingWire: SimWire = {
  route: /^\/api\/v2\/tasks\/([^/]+)$/,
  locate: (base, id) => ({ url: `${base}/api/v2/tasks/${encodeURIComponent(id)}`, ids: { baseUrl: base, taskId: id } }),
  words: { pending: 'RUNNING', running: 'RUNNING', canceling: 'FAILED', succeeded: 'SUCCEEDED', failed: 'FAILED', canceled: 'FAILED' },
  reportedAs: { pending: 'running', canceling: 'failed', canceled: 'failed' },
  statusBody: (status) =>
    status.phase === 'succeeded'
      ? { status: status.word, response: status.result }
      : isRunning(status.phase)
        ? { status: status.word }
        : {
            status: status.word,
            message: status.phase === 'failed' ? status.failure.message : 'The task was canceled.',
            errors: [{ message: status.failure.message, code: status.failure.code }],
          },
};
