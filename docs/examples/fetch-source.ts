// A TaskSource over fetch for a JSON job API, with an io-ts codec for the result.
// The API: GET /jobs/:id → { state, pct?, error? }, GET /jobs/:id/result → the report, DELETE /jobs/:id.
import * as t from 'io-ts';
import { TransportError, pollTask$, taskSource, toResult, withBackoff, type PollStrategy, type RunStatus, type TaskSource } from 'poll-task';

/** The job's result, validated: a job that answers anything else ends with a DecodeError. */
export const Report = t.type({ rows: t.number, url: t.string }, 'Report');
export type Report = t.TypeOf<typeof Report>;

const runStatuses: Readonly<Record<string, RunStatus>> = {
  QUEUED: 'pending',
  WORKING: 'running',
  DONE: 'succeeded',
  ERROR: 'failed',
  STOPPED: 'canceled',
};

const retryableStatuses = [408, 429, 500, 502, 503, 504];

/**
 * Sends a request and returns the response, or throws a TransportError that states what happened; its
 * `retryable` says whether asking again may help, and the strategy decides whether to.
 */
export async function send(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (init.signal?.aborted) throw error; // nobody waits for this answer any more
    throw new TransportError(`${init.method ?? 'GET'} ${url} failed: the service could not be reached.`, { url, retryable: true, cause: error });
  }
  if (response.ok) return response;
  const retryAfter = response.headers.get('retry-after');
  throw new TransportError(`${init.method ?? 'GET'} ${url} answered ${response.status}.`, {
    url,
    status: response.status,
    retryable: retryableStatuses.includes(response.status),
    ...(retryAfter !== null && Number(retryAfter) >= 0 ? { retryAfterMs: Number(retryAfter) * 1000 } : {}),
  });
}

interface JobBody {
  state: string;
  pct?: number;
  error?: { code: string; message: string };
}

/** The source of job `jobId` on the API at `api`. */
export function jobSource(api: string, jobId: string): TaskSource<Report> {
  const url = `${api}/jobs/${jobId}`;
  return taskSource({
    id: url,
    read: async (signal) => {
      const body = (await (await send(url, { signal })).json()) as JobBody;
      return {
        // A word this map does not know passes through, and the wait ends with UnknownStatusError naming it.
        runStatus: runStatuses[body.state] ?? (body.state as RunStatus),
        vendorStatus: body.state,
        ...(body.pct === undefined ? {} : { progress: body.pct / 100 }),
        ...(body.error === undefined ? {} : { failure: body.error }),
        raw: body,
      };
    },
    result: async (_last, signal) => (await send(`${url}/result`, { signal })).json(),
    cancel: async (signal) => {
      await send(url, { method: 'DELETE', signal });
    },
    resultCodec: Report,
  });
}

/** Waits for job `jobId` and resolves with its report, logging progress on the way. */
export function watchJob(
  api: string,
  jobId: string,
  log: (line: string) => void,
  strategy: PollStrategy = withBackoff({ initialDelayMs: 500, maxDelayMs: 5000 }),
): Promise<Report> {
  return new Promise((resolve, reject) => {
    pollTask$(jobSource(api, jobId), strategy)
      .pipe(toResult())
      .subscribe({ next: resolve, error: reject });
    log(`watching ${jobId}`);
  });
}
