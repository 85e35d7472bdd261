import type { SimWire } from './wire.js';

/** How many merges a simulated merge task counts in its `resultsSummary`. */
const total = 10;

/**
 * Affinity's merge tasks as the simulator writes them (`/v2/tasks/company-merges/{id}`, and `person-merges`):
 * `pending`, `in-progress`, `success`, `failed`, with a `resultsSummary` of ten merges done as the task
 * progresses. It has no word for a cancel, and takes none.
 */
export const affinityWire: SimWire = {
  route: /^\/v2\/tasks\/(?:company|person)-merges\/([^/]+)$/,
  locate: (base, id) => {
    const url = `${base}/v2/tasks/company-merges/${encodeURIComponent(id)}`;
    return { url, ids: { baseUrl: `${base}/v2/`, taskUrl: url } };
  },
  words: { pending: 'pending', running: 'in-progress', canceling: 'failed', succeeded: 'success', failed: 'failed', canceled: 'failed' },
  reportedAs: { canceling: 'failed', canceled: 'failed' },
  statusBody: (status) => {
    const done = Math.floor(status.fraction * total);
    return { id: status.id, status: status.word, resultsSummary: { total, success: done, failed: 0, inProgress: total - done } };
  },
};
