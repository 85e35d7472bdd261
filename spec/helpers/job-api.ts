import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How a job of the test API ends once its steps are done. */
export type JobOutcome = 'report' | 'error' | 'bad-report' | 'strange-state';

interface Job {
  steps: number;
  reads: number;
  outcome: JobOutcome;
  canceled: boolean;
}

/** A request the test API received. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
}

/**
 * A tiny JSON job API on 127.0.0.1 for the docs examples: a job advances one step per status read (not by
 * time, so tests need no clock), then ends as its outcome says. Not the task simulator: just enough API to
 * run the examples over real HTTP.
 */
export interface JobApi {
  readonly url: string;
  readonly requests: readonly SeenRequest[];
  /** Adds job `id` that takes `steps` status reads to finish. */
  add(id: string, steps: number, outcome?: JobOutcome): void;
  /** Answers the next `count` requests with `status`. */
  failNext(count: number, status: number): void;
  close(): Promise<void>;
}

export async function startJobApi(): Promise<JobApi> {
  const jobs = new Map<string, Job>();
  const requests: SeenRequest[] = [];
  let failures = { count: 0, status: 503 };
  let created = 0;

  const json = (response: ServerResponse, status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };

  const handle = (request: IncomingMessage, response: ServerResponse, body: string): void => {
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    requests.push({ method, path });
    if (failures.count > 0) {
      failures.count--;
      json(response, failures.status, { error: 'injected' });
      return;
    }
    if (method === 'POST' && path === '/jobs') {
      const id = `job-${++created}`;
      const { steps = 2 } = JSON.parse(body || '{}') as { steps?: number };
      jobs.set(id, { steps, reads: 0, outcome: 'report', canceled: false });
      json(response, 202, { id });
      return;
    }
    const match = /^\/jobs\/([^/]+)(\/result)?$/.exec(path);
    const job = match ? jobs.get(match[1]!) : undefined;
    if (!match || !job) {
      json(response, 404, { error: 'no such job' });
      return;
    }
    if (method === 'DELETE') {
      job.canceled = true;
      response.writeHead(204).end();
      return;
    }
    if (match[2]) {
      json(response, 200, job.outcome === 'bad-report' ? { rows: 'many' } : { rows: job.steps * 10, url: `/reports/${match[1]}` });
      return;
    }
    job.reads++;
    if (job.canceled) json(response, 200, { state: 'STOPPED' });
    else if (job.reads < job.steps) json(response, 200, { state: job.reads === 1 ? 'QUEUED' : 'WORKING', pct: Math.round((100 * job.reads) / job.steps) });
    else if (job.outcome === 'error') json(response, 200, { state: 'ERROR', error: { code: 'E_SCENE', message: 'Scene file is corrupt' } });
    else if (job.outcome === 'strange-state') json(response, 200, { state: 'PAUSED_BY_ADMIN' });
    else json(response, 200, { state: 'DONE', pct: 100 });
  };

  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => handle(request, response, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    add(id, steps, outcome = 'report') {
      jobs.set(id, { steps, reads: 0, outcome, canceled: false });
    },
    failNext(count, status) {
      failures = { count, status };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
