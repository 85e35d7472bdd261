import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as t from 'io-ts';
import { lastValueFrom, map, take, toArray } from 'rxjs';
import { TransportError, UnsafeUrlError, cancelOnUnsubscribe, pollTask$, startTask$, toResult, withInterval } from '../../lib/index.js';
import { defineDialect, evoJob, httpTask, submitEvoJob } from '../../lib/http/index.js';
import { startTaskServer, type TaskServer } from '../../lib/testing/index.js';
import { run, until } from '../helpers/sim.js';

describe('httpTask', () => {
  let sim: TaskServer;
  beforeEach(async () => {
    sim = await startTaskServer();
  });
  afterEach(() => sim.close());

  it('speaks a dialect of your own', async () => {
    // Benchling's wire format, read by a dialect written from scratch.
    const mine = defineDialect({
      name: 'Mine',
      status: t.type({ status: t.string }),
      toReading: (body) => ({
        runStatus: ({ RUNNING: 'running', SUCCEEDED: 'succeeded' } as const)[body.status as 'RUNNING' | 'SUCCEEDED'],
        vendorStatus: body.status,
        message: `mine says ${body.status}`,
      }),
    });
    const task = sim.create('benchling', { reads: 2 });
    const messages = await lastValueFrom(pollTask$(httpTask({ url: task.url, dialect: mine }), withInterval(0)).pipe(map((e) => e.snapshot.message), toArray()));
    expect(messages).toEqual(['mine says RUNNING', 'mine says SUCCEEDED']);
  });

  it('asks a headers function before every request, so a token can be refreshed', async () => {
    const task = sim.create('benchling', { reads: 3 });
    let token = 0;
    const seen: string[] = [];
    const source = httpTask({
      url: task.url,
      dialect: (await import('../../lib/http/index.js')).benchling,
      headers: async () => ({ authorization: `Bearer t${++token}`, 'x-request-id': `call-${token}` }),
    });
    await run(source);
    for (const request of sim.requests) seen.push(request.headers['x-request-id']!);
    expect(seen).toEqual(['call-1', 'call-2', 'call-3']);
    expect(sim.requests.every((r) => r.headers.authorization === '[redacted]')).toBe(true);
  });

  it('retries fetching a result that failed transiently, so a finished task keeps its outcome', async () => {
    const task = sim.create('evo', { reads: 1, result: { rows: 4 } });
    const resultPath = new URL(task.url).pathname.replace(/\/status$/, '');
    sim.fault({ kind: 'status', status: 503, retryAfterMs: 1, path: resultPath, times: 2 });
    const outcome = await run(evoJob({ url: task.url, result: t.type({ rows: t.number }) }));
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toEqual({ rows: 4 });
    expect(sim.requests.filter((r) => r.path === resultPath)).toHaveLength(3);
  });

  it('gives up on the result after three transient failures, with the last one', async () => {
    const task = sim.create('evo', { reads: 1 });
    const resultPath = new URL(task.url).pathname.replace(/\/status$/, '');
    sim.fault({ kind: 'status', status: 502, retryAfterMs: 1, path: resultPath, times: 3 });
    const outcome = await run(evoJob({ url: task.url }));
    expect(outcome.error).toBeInstanceOf(TransportError);
    expect((outcome.error as TransportError).status).toBe(502);
    expect((outcome.error as TransportError).retryable).toBe(true);
    expect((outcome.error as TransportError).attempts).toBe(3);
    expect((outcome.error as TransportError).url).toBe(`${sim.url}${resultPath}`);
    // The last request's facts, then the decision that nothing asks again.
    expect((outcome.error as Error).message).toMatch(/^GET \S+ answered 502 .+ is busy or unavailable\. The result of task ".+" could not be fetched in 3 attempts\.$/);
    expect(sim.requests.filter((r) => r.path === resultPath)).toHaveLength(3);
  });
});

describe('submitEvoJob', () => {
  let sim: TaskServer;
  beforeEach(async () => {
    sim = await startTaskServer();
  });
  afterEach(() => sim.close());

  const ids = () => ({ baseUrl: sim.url, orgId: 'org-1', topic: 'geostatistics', task: 'kriging' });

  it('submits the job and follows its Location to a source', async () => {
    const source = await submitEvoJob({ ...ids(), parameters: { simulate: { reads: 2, result: { grid: 'g1' } } }, result: t.type({ grid: t.string }) });
    expect(source.id).toMatch(new RegExp(`^${sim.url}/compute/orgs/org-1/geostatistics/kriging/task-\\d+/status$`));
    await expect(lastValueFrom(pollTask$(source, withInterval(0)).pipe(toResult()))).resolves.toEqual({ grid: 'g1' });
    expect(sim.requests[0]).toMatchObject({ method: 'POST', path: '/compute/orgs/org-1/geostatistics/kriging' });
  });

  it('with startTask$ and cancelOnUnsubscribe, cancels the job created after the subscriber left', async () => {
    const subscription = startTask$((signal) => submitEvoJob({ ...ids(), parameters: { simulate: { reads: 50 } }, signal }), withInterval(0))
      .pipe(cancelOnUnsubscribe())
      .subscribe();
    subscription.unsubscribe();
    await until(() => sim.requests.some((r) => r.method === 'DELETE'), 'the cancel');
    const created = sim.requests.find((r) => r.method === 'DELETE')!.taskId!;
    expect(sim.cancelRequested(created)).toBe(true);
    expect(sim.requests.filter((r) => r.method === 'GET')).toHaveLength(0);
  });

  it('cancels a running job when the subscriber leaves', async () => {
    await lastValueFrom(
      startTask$((signal) => submitEvoJob({ ...ids(), parameters: { simulate: { reads: 50 } }, signal }), withInterval(0)).pipe(cancelOnUnsubscribe(), take(3)),
    );
    await until(() => sim.requests.some((r) => r.method === 'DELETE'), 'the cancel');
  });

  describe('against a server that answers oddly', () => {
    let server: Server;
    let location: string | undefined;
    let base = '';
    beforeEach(async () => {
      server = createServer((_request, response) => {
        response.writeHead(202, location === undefined ? {} : { location });
        response.end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('refuses a Location outside the allowed origins', async () => {
      location = 'https://elsewhere.example.com/compute/orgs/o/t/k/j/status';
      const error = await submitEvoJob({ baseUrl: base, orgId: 'o', topic: 't', task: 'k', parameters: {} }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsafeUrlError);
      expect((error as Error).message).toMatch(/^Refused to request https:\/\/elsewhere\.example\.com\/compute\/orgs\/o\/t\/k\/j\/status: its origin/);
    });

    it('says so when the answer has no Location', async () => {
      location = undefined;
      const error = await submitEvoJob({ baseUrl: base, orgId: 'o', topic: 't', task: 'k', parameters: {} }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransportError);
      expect((error as Error).message).toBe(`POST ${base}/compute/orgs/o/t/k answered without a Location header, so the job cannot be followed.`);
    });

    it('refuses a Location that is not an Evo job status URL', async () => {
      location = '/somewhere/else';
      await expect(submitEvoJob({ baseUrl: base, orgId: 'o', topic: 't', task: 'k', parameters: {} })).rejects.toThrow(
        `submitEvoJob: ${base}/somewhere/else is not an Evo job status URL (…/compute/orgs/{org}/{topic}/{task}/{job}/status).`,
      );
    });
  });
});
