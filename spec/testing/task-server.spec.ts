import { request as httpRequest } from 'node:http';
import { SIM_DIALECTS, startTaskServer, type TaskServer } from '../../lib/testing/index.js';
import { until } from '../helpers/sim.js';

const jsonType = { 'content-type': 'application/json' };

async function getJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

describe('startTaskServer', () => {
  let sim: TaskServer;
  beforeEach(async () => {
    sim = await startTaskServer();
  });
  afterEach(() => sim.close());

  it('listens on 127.0.0.1 on a free port', () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(SIM_DIALECTS).toEqual(['benchling', 'affinity', 'evo', 'deepint', 'deadline']);
  });

  it('creates tasks through the control API, for other processes', async () => {
    const created = await getJson(`${sim.url}/_sim/tasks`, { method: 'POST', headers: jsonType, body: JSON.stringify({ dialect: 'deepint', reads: 2, id: 'from-cli' }) });
    expect(created).toMatchObject({ status: 201, body: { id: 'from-cli', dialect: 'deepint', url: `${sim.url}/api/v1/workspace/ws-1/task/from-cli` } });
    const headers = { 'x-deepint-organization': 'org' };
    expect((await getJson(`${sim.url}/api/v1/workspace/ws-1/task/from-cli`, { headers })).body).toMatchObject({ status: 'pending', progress: 0 });
    expect((await getJson(`${sim.url}/api/v1/workspace/ws-1/task/from-cli`, { headers })).body).toMatchObject({ status: 'success', result: 'src-from-cli', result_type: 'source' });
    await getJson(`${sim.url}/_sim/faults`, { method: 'POST', headers: jsonType, body: JSON.stringify({ kind: 'status', status: 429, taskId: 'from-cli' }) });
    expect((await getJson(`${sim.url}/api/v1/workspace/ws-1/task/from-cli`, { headers })).status).toBe(429);
    const seen = (await getJson(`${sim.url}/_sim/requests`)).body as Array<{ path: string; fault?: string }>;
    expect(seen.map((r) => r.fault ?? r.path)).toEqual(['/api/v1/workspace/ws-1/task/from-cli', '/api/v1/workspace/ws-1/task/from-cli', 'status']);
    expect((await getJson(`${sim.url}/_sim/stats`)).body).toEqual({ requests: 3, connections: expect.any(Number), tasks: 1, inFlight: 0, mostInFlight: 1 });
    expect(sim.stats()).toEqual({ requests: 3, connections: expect.any(Number), tasks: 1, inFlight: 0, mostInFlight: 1 });
  });

  it('answers control errors with what to do', async () => {
    expect(await getJson(`${sim.url}/_sim/tasks`, { method: 'POST', headers: jsonType, body: JSON.stringify({ dialect: 'asana' }) })).toEqual({
      status: 400,
      body: { message: 'startTaskServer: unknown dialect "asana"; the simulator speaks benchling, affinity, evo, deepint, deadline.' },
    });
    expect(await getJson(`${sim.url}/_sim/nope`)).toEqual({
      status: 404,
      body: { message: 'No control route GET /_sim/nope; use POST /_sim/tasks, POST /_sim/faults, GET /_sim/requests or GET /_sim/stats.' },
    });
  });

  it('runs a task by time: a long one is running, a zero-length one done', async () => {
    const long = sim.create('evo', { durationMs: 60_000 });
    const short = sim.create('evo', { durationMs: 0 });
    expect((await getJson(long.url)).body).toMatchObject({ status: 'requested', progress: 0 });
    expect((await getJson(short.url)).body).toMatchObject({ status: 'succeeded', progress: 100 });
  });

  it('reports progress as linear steps, quarter steps or not at all, with subtasks', async () => {
    const steps = sim.create('evo', { reads: 5, progress: 'steps', subtasks: ['a', 'b'] });
    const none = sim.create('evo', { reads: 3, progress: 'none' });
    const stepBodies = [];
    for (let i = 0; i < 4; i++) stepBodies.push((await getJson(steps.url)).body as { progress: number; message: string });
    expect(stepBodies.map((b) => [b.progress, b.message])).toEqual([
      [0, 'a'],
      [25, 'a'],
      [50, 'b'],
      [75, 'b'],
    ]);
    expect((await getJson(none.url)).body).toMatchObject({ progress: null });
  });

  it('expires a task\'s data after resultExpiresAfterMs', async () => {
    const task = sim.create('benchling', { reads: 1, resultExpiresAfterMs: 0, result: { ok: 1 } });
    expect(await getJson(task.url)).toEqual({ status: 200, body: { status: 'SUCCEEDED', response: { ok: 1 } } });
    expect((await getJson(task.url)).status).toBe(404);
  });

  it('cancels only where the service can, and says why not elsewhere', async () => {
    const evoTask = sim.create('evo', { reads: 10 });
    expect((await fetch(evoTask.url.replace(/\/status$/, ''), { method: 'DELETE' })).status).toBe(204);
    expect(sim.cancelRequested(evoTask.id)).toBe(true);
    expect((await getJson(evoTask.url)).body).toMatchObject({ status: 'cancelling' });
    expect((await getJson(evoTask.url)).body).toMatchObject({ status: 'cancelled' });
    const deadlineTask = sim.create('deadline', { reads: 10 });
    expect((await getJson(deadlineTask.url, { method: 'PATCH', body: JSON.stringify({ targetRunStatus: 'SUSPENDED' }) })).status).toBe(400);
    const benchlingTask = sim.create('benchling', { reads: 10 });
    expect(await getJson(benchlingTask.url, { method: 'DELETE' })).toEqual({ status: 405, body: { message: 'DELETE is not supported here by benchling.' } });
    expect(sim.cancelRequested(benchlingTask.id)).toBe(false);
  });

  it('answers 404 for a task it does not hold, and 400 for Deep Intelligence without its organization header', async () => {
    expect((await getJson(`${sim.url}/api/v2/tasks/nope`)).status).toBe(404);
    const task = sim.create('deepint', { reads: 1 });
    expect((await getJson(task.url)).body).toEqual({ code: 'MISSING_ORGANIZATION', message: 'The x-deepint-organization header is required.' });
  });

  it('records every request with credential headers redacted', async () => {
    const task = sim.create('benchling', { reads: 1 });
    await fetch(task.url, { headers: { authorization: 'Bearer abc', 'x-api-key': 'k', cookie: 'c=1', 'x-client-secret': 's', 'x-request-id': 'visible' } });
    expect(sim.requests[0]?.headers).toMatchObject({
      authorization: '[redacted]',
      'x-api-key': '[redacted]',
      cookie: '[redacted]',
      'x-client-secret': '[redacted]',
      'x-request-id': 'visible',
    });
    expect(sim.requests[0]).toMatchObject({ method: 'GET', path: new URL(task.url).pathname, taskId: task.id, dialect: 'benchling' });
    expect(sim.requests[0]?.time).toBeGreaterThanOrEqual(0);
  });

  it('counts the most requests it answered at once: held ones count until their connection closes, answered ones until answered', async () => {
    const task = sim.create('benchling', { durationMs: 60_000 });
    for (let i = 0; i < 3; i++) await getJson(task.url);
    expect(sim.stats()).toMatchObject({ requests: 3, inFlight: 0, mostInFlight: 1 });
    // Four requests held by the server at once, then let go by their clients.
    sim.fault({ kind: 'slow', delayMs: 600_000, taskId: task.id, times: 4 });
    const leaving = new AbortController();
    const held = Array.from({ length: 4 }, () => fetch(task.url, { signal: leaving.signal }).catch(() => 'left'));
    await until(() => sim.stats().requests === 7, 'the four held requests to arrive');
    expect(sim.stats()).toMatchObject({ inFlight: 4, mostInFlight: 4 });
    leaving.abort();
    expect(await Promise.all(held)).toEqual(['left', 'left', 'left', 'left']);
    await until(() => sim.stats().inFlight === 0, 'the server to see the four connections close');
    // Had the held ones still counted, two at once now would make six.
    await Promise.all([getJson(task.url), getJson(task.url)]);
    expect(sim.stats()).toMatchObject({ requests: 9, inFlight: 0, mostInFlight: 4 });
  });

  it('holds every task-API answer back for latencyMs, so requests sent together overlap on the server', async () => {
    const slow = await startTaskServer({ latencyMs: 300 });
    try {
      const task = slow.create('deadline', { reads: 2 });
      const answers = await Promise.all([getJson(task.url), getJson(task.url), getJson(task.url)]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
      expect(slow.stats()).toMatchObject({ requests: 3, inFlight: 0, mostInFlight: 3 });
      // The control API is not held back: the stats come without waiting.
      expect((await getJson(`${slow.url}/_sim/stats`)).body).toMatchObject({ requests: 3, mostInFlight: 3 });
    } finally {
      await slow.close();
    }
  });

  it('injects a fault with a probability drawn from its random source', async () => {
    const draws = [0.9, 0.1];
    const seeded = await startTaskServer({ random: () => draws.shift() ?? 0 });
    try {
      const task = seeded.create('benchling', { reads: 5 });
      seeded.fault({ kind: 'status', status: 500, probability: 0.5, times: 1 });
      expect((await fetch(task.url)).status).toBe(200);
      expect((await fetch(task.url)).status).toBe(500);
      expect((await fetch(task.url)).status).toBe(200);
    } finally {
      await seeded.close();
    }
  });

  it('refuses bad input with a TypeError', () => {
    expect(() => sim.create('asana' as never)).toThrow(new TypeError('startTaskServer: unknown dialect "asana"; the simulator speaks benchling, affinity, evo, deepint, deadline.'));
    sim.create('evo', { id: 'twice' });
    expect(() => sim.create('evo', { id: 'twice' })).toThrow(new TypeError('startTaskServer: a task with id "twice" exists already.'));
    expect(() => sim.fault({} as never)).toThrow(new TypeError('startTaskServer: a fault needs a kind, e.g. { kind: "status", status: 503 }.'));
  });
});

describe('startTaskServer for browsers', () => {
  it('serves its files and answers pages on any origin, without recording either as a task request', async () => {
    const sim = await startTaskServer({ files: { '/index.html': { type: 'text/html; charset=utf-8', body: '<p>hi</p>' } } });
    try {
      const page = await fetch(`${sim.url}/index.html`);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await page.text()).toBe('<p>hi</p>');
      const task = sim.create('evo', { reads: 5 });
      const preflight = await fetch(task.url, { method: 'OPTIONS', headers: { origin: 'http://app.test', 'access-control-request-method': 'DELETE' } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-methods')).toContain('DELETE');
      const read = await fetch(task.url, { headers: { origin: 'http://app.test' } });
      expect(read.headers.get('access-control-allow-origin')).toBe('*');
      expect(read.headers.get('access-control-expose-headers')).toContain('retry-after');
      expect(sim.requests.map((r) => `${r.method} ${r.taskId ?? r.path}`)).toEqual([`GET ${task.id}`]);
      expect((await fetch(`${sim.url}/other.html`)).status).toBe(404);
    } finally {
      await sim.close();
    }
  });

  it('refuses files it could not serve, saying which and how', async () => {
    await expect(startTaskServer({ files: { 'index.html': { type: 'text/html', body: '' } } })).rejects.toThrow(
      new TypeError('startTaskServer: cannot serve a file at "index.html"; give a path starting with "/" that is neither /_sim/… nor a task route, e.g. "/index.html".'),
    );
    await expect(startTaskServer({ files: { '/api/v2/tasks/x': { type: 'text/html', body: '' } } })).rejects.toThrow(/cannot serve a file at "\/api\/v2\/tasks\/x"/);
    await expect(startTaskServer({ files: { '/a.js': { body: 'x' } as never } })).rejects.toThrow(
      new TypeError("startTaskServer: the file /a.js needs a content type and a body, e.g. { type: 'text/html', body: '<!doctype html>…' }."),
    );
  });
});

describe('TaskServer.close', () => {
  it('frees the port and closes kept-alive connections', async () => {
    const sim = await startTaskServer();
    const task = sim.create('benchling', { reads: 1 });
    const agentResponse = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(task.url, { headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    expect(agentResponse).toBe(200);
    await sim.close();
    await expect(fetch(task.url)).rejects.toThrow();
  });
});
