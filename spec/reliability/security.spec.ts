import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lastValueFrom, take, toArray } from 'rxjs';
import { UnsafeUrlError, pollTask$, withInterval } from '../../lib/index.js';
import { benchling, httpTask, submitEvoJob, type Fetch } from '../../lib/http/index.js';
import { simulatedSource, startTaskServer, type TaskServer } from '../../lib/testing/index.js';
import { dialects, run } from '../helpers/sim.js';

const secret = 'Bearer tok_live_5f3a9c1e77';

describe('credentials go only to the allowed origins', () => {
  let sim: TaskServer;
  let other: TaskServer;
  beforeEach(async () => {
    [sim, other] = await Promise.all([startTaskServer(), startTaskServer()]);
  });
  afterEach(() => Promise.all([sim.close(), other.close()]));

  it.each(dialects)('%s: a scheme-relative redirect to another port is refused, and that port sees nothing', async (dialect) => {
    const task = sim.create(dialect, { reads: 2 });
    sim.fault({ kind: 'redirect', location: `//${new URL(other.url).host}/collect`, taskId: task.id });
    const outcome = await run(simulatedSource(task, { headers: { authorization: secret } }));
    expect(outcome.error).toBeInstanceOf(UnsafeUrlError);
    expect(other.requests).toHaveLength(0);
  });

  it.each(dialects)('%s: a relative redirect stays on the origin and keeps working', async (dialect) => {
    const task = sim.create(dialect, { reads: 1 });
    sim.fault({ kind: 'redirect', location: new URL(task.url).pathname, taskId: task.id });
    expect((await run(simulatedSource(task, { headers: { authorization: secret } }))).error).toBeUndefined();
    expect(sim.requests.every((r) => r.headers.authorization === '[redacted]')).toBe(true);
    expect(other.requests).toHaveLength(0);
  });

  it('a Location header pointing at another origin is refused before anything is sent there', async () => {
    sim.fault({ kind: 'redirect', location: `${other.url}/compute/orgs/o/t/k/j/status`, method: 'POST' });
    const error = await submitEvoJob({ baseUrl: sim.url, orgId: 'o', topic: 't', task: 'k', parameters: {}, headers: { authorization: secret } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeUrlError);
    expect(other.requests).toHaveLength(0);
  });

  it('allowedOrigins can widen the set on purpose, and then the other origin is reached', async () => {
    const task = other.create('benchling', { reads: 1 });
    const source = httpTask({ url: task.url, dialect: benchling, allowedOrigins: [sim.url, other.url], headers: { authorization: secret } });
    expect((await run(source)).error).toBeUndefined();
    expect(other.requests).toHaveLength(1);
  });
});

describe('where requests may go, for any URL', () => {
  const allowed = 'https://api.example.com';
  // Origins of other schemes among the allowed ones: the scheme rule holds on its own, not through the origins.
  const allowedOrigins = [allowed, 'ws://api.example.com', 'ftp://api.example.com'];
  const schemes = fc.constantFrom('https:', 'http:', 'HTTPS:', 'ftp:', 'file:', 'javascript:', 'data:', 'ws:', 'blob:');
  const hosts = fc.constantFrom('api.example.com', 'api.example.com', 'API.example.COM', 'api.example.com:443', 'api.example.com:8443', 'api.example.com.', 'evil.example.com', 'api.example.com.evil.example', '127.0.0.1', '[::1]');
  const userinfo = fc.constantFrom('', '', 'u:p@', 'u@', ':p@', '%40:x@', 'api.example.com@');
  /** Absolute and relative URLs, well and badly formed, with the tricks that move a request elsewhere. */
  const urls = fc.oneof(
    fc.tuple(schemes, fc.constantFrom('//', '//', '/', '', '\\\\'), userinfo, hosts, fc.constantFrom('/tasks/2', '', '/a?b=c#d')).map((parts) => parts.join('')),
    fc.constantFrom(
      '/tasks/2',
      'tasks/2',
      '../x',
      '?page=2',
      '//evil.example.com/x',
      '\\\\evil.example.com/x',
      '/\\evil.example.com/x',
      ' https://evil.example.com/x',
      'https:evil.example.com/x',
      'https://api.example.com@evil.example.com/',
      'https://evil.example.com\\@api.example.com/',
      'https://api.example.com%2f@evil.example.com/',
      'https://api.example.com\t.evil.example/',
    ),
  );

  /** The documented rule: http: or https:, no userinfo, an allowed origin. Relative URLs against `base`. */
  function mayGo(url: string, base?: string): URL | undefined {
    let parsed: URL;
    try {
      parsed = base === undefined ? new URL(url) : new URL(url, base);
    } catch {
      return undefined;
    }
    const ok = (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.username === '' && parsed.password === '' && allowedOrigins.includes(parsed.origin);
    return ok ? parsed : undefined;
  }

  it('as the task URL: requested only when the rule allows it, else UnsafeUrlError before anything is sent', async () => {
    await fc.assert(
      fc.asyncProperty(urls, async (url) => {
        const asked: string[] = [];
        const fetch: Fetch = async (target) => (asked.push(target), new Response('{"status":"SUCCEEDED"}', { status: 200 }));
        let error: unknown;
        let source;
        try {
          source = httpTask({ url, dialect: benchling, fetch, allowedOrigins, headers: { authorization: secret } });
        } catch (caught) {
          error = caught;
        }
        const expected = mayGo(url);
        if (expected === undefined) {
          expect(error).toBeInstanceOf(UnsafeUrlError);
          expect(asked).toEqual([]);
        } else {
          expect((await run(source!)).error).toBeUndefined();
          expect(asked).toEqual([expected.href.replace(/#.*$/, '')]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('as a redirect\'s target, relative or absolute: followed only when the rule allows it, else UnsafeUrlError and nothing sent there', async () => {
    await fc.assert(
      fc.asyncProperty(urls, fc.constantFrom(301, 302, 303, 307, 308), async (location, status) => {
        const asked: string[] = [];
        const fetch: Fetch = async (target) => {
          asked.push(target);
          return asked.length === 1 ? new Response(null, { status, headers: { location } }) : new Response('{"status":"SUCCEEDED"}', { status: 200 });
        };
        const start = `${allowed}/api/v2/tasks/1`;
        const outcome = await run(httpTask({ url: start, dialect: benchling, fetch, allowedOrigins, headers: { authorization: secret } }));
        const expected = mayGo(location, start);
        if (expected === undefined) {
          expect(outcome.error).toBeInstanceOf(UnsafeUrlError);
          expect(asked).toEqual([start]);
        } else {
          expect(outcome.error).toBeUndefined();
          expect(asked).toEqual([start, expected.href.replace(/#.*$/, '')]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('credential values never show', () => {
  let server: Server;
  let base = '';
  let mode: 'echo-running' | 'echo-error' | 'echo-html' = 'echo-running';
  beforeEach(async () => {
    // A service that echoes the request's headers back: a debug endpoint, or a proxy's error page.
    server = createServer((request, response) => {
      const auth = request.headers.authorization ?? '';
      if (mode === 'echo-running') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ status: 'RUNNING', debug: { youSent: auth, token: auth.split(' ')[1] } }));
      } else if (mode === 'echo-error') {
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: `token ${auth} is not valid` }));
      } else {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end(`<html>Authorization: ${auth}</html>`);
      }
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => new Promise<void>((done) => server.close(() => done())));

  const source = () => httpTask({ url: `${base}/api/v2/tasks/1`, dialect: benchling, headers: { authorization: secret } });

  it('in snapshots\' raw', async () => {
    mode = 'echo-running';
    const events = await lastValueFrom(pollTask$(source(), withInterval(0)).pipe(take(2), toArray()));
    const raw = JSON.stringify(events.map((e) => e.snapshot.raw));
    expect(raw).toContain('[redacted]');
    expect(raw).not.toContain('tok_live_5f3a9c1e77');
  });

  it.each(['echo-error', 'echo-html'] as const)('in error messages and their fields (%s)', async (which) => {
    mode = which;
    const outcome = await run(source());
    const everything = JSON.stringify({ message: (outcome.error as Error).message, ...(outcome.error as object) });
    expect(everything).not.toContain('tok_live_5f3a9c1e77');
  });
});
