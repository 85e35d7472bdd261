import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { startTaskServer, type FaultSpec, type TaskServer } from '../../lib/testing/index.js';
import { cliPath, runBuilt } from '../helpers/cli.js';

// The simulator and `poll-task serve` are safe to leave running: no web page can drive the control API, a bad
// spec is refused with the field it names, nothing grows without bound, and no request takes the server down.

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** One request over its own connection, with exactly the headers given (Host included, when given). */
function send(url: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const headers = { ...options.headers, ...(body === undefined || options.chunked ? {} : { 'content-length': String(body.length) }) };
    const request = httpRequest(`${url}${path}`, { method: options.method ?? 'GET', headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    request.on('error', reject);
    if (body !== undefined && options.chunked) {
      // Chunked, with no content-length to refuse it by: the server must count what arrives.
      for (let at = 0; at < body.length; at += 64 * 1024) request.write(body.subarray(at, at + 64 * 1024));
    } else if (body !== undefined) request.write(body);
    request.end();
  });
}

/**
 * One request written byte for byte (Node's client fills in a Host it finds empty): `head` is the request line
 * and headers without the blank line. Resolves with the status and the body (the server closes the connection).
 */
function raw(url: string, head: string, body = ''): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.end(`${head}\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, 'latin1');
  });
}

const json = { 'content-type': 'application/json' };

/** POSTs `body` as JSON to the control API. */
const post = (sim: TaskServer, path: string, body: unknown) => send(sim.url, path, { method: 'POST', headers: json, body: JSON.stringify(body) });

const messageOf = (answer: Answer): string => (JSON.parse(answer.body) as { message: string }).message;

/** Reads a fresh task through the task API: the server still serves, and no fault was left behind. */
async function stillServes(sim: TaskServer): Promise<void> {
  const task = sim.create('benchling', { reads: 1, result: { ok: 1 } });
  const read = await send(sim.url, new URL(task.url).pathname);
  expect(read).toMatchObject({ status: 200 });
  expect(JSON.parse(read.body)).toEqual({ status: 'SUCCEEDED', response: { ok: 1 } });
}

const corsHeaders = (answer: Answer) => Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'));

describe('the simulator is safe to leave running', () => {
  let sim: TaskServer;
  beforeEach(async () => {
    sim = await startTaskServer({ files: { '/index.html': { type: 'text/html', body: '<p>page</p>' } } });
  });
  afterEach(() => sim.close());

  describe('CORS: the task API and served files only', () => {
    it('answers a preflight for a task and allows any origin to read it', async () => {
      const task = sim.create('evo', { reads: 5 });
      const path = new URL(task.url).pathname;
      const preflight = await send(sim.url, path, { method: 'OPTIONS', headers: { origin: 'http://app.test', 'access-control-request-method': 'DELETE' } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('*');
      expect(preflight.headers['access-control-allow-methods']).toContain('DELETE');
      const read = await send(sim.url, path, { headers: { origin: 'http://app.test' } });
      expect(read.headers['access-control-allow-origin']).toBe('*');
      expect((await send(sim.url, '/index.html', { headers: { origin: 'http://app.test' } })).headers['access-control-allow-origin']).toBe('*');
    });

    it.each(['/_sim/tasks', '/_sim/faults', '/_sim/requests', '/_sim/stats', '/_sim/nope'])('gives %s no CORS header and refuses its preflight', async (path) => {
      const preflight = await send(sim.url, path, {
        method: 'OPTIONS',
        headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(preflight.status).toBe(403);
      expect(corsHeaders(preflight)).toEqual([]);
      const read = await send(sim.url, path, { headers: { origin: 'http://evil.test' } });
      expect(corsHeaders(read)).toEqual([]);
    });
  });

  describe('the control API takes JSON only', () => {
    // What a page on another origin can POST without a preflight, and whatever else is not JSON.
    const notJson = fc.oneof(
      fc.constantFrom('text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/json', 'application/jsonp', 'application/json-patch+json', 'application/json+x', ''),
      fc.stringMatching(/^[a-z]{1,8}\/[a-z+.-]{1,12}$/).filter((type) => type !== 'application/json'),
    );

    it('refuses a POST of any other content type with 415, creating and injecting nothing', async () => {
      await fc.assert(
        fc.asyncProperty(notJson, fc.constantFrom('/_sim/tasks', '/_sim/faults'), async (type, path) => {
          const body = path === '/_sim/tasks' ? '{"dialect":"evo","id":"planted"}' : '{"kind":"status","status":500,"times":1000}';
          const answer = await send(sim.url, path, { method: 'POST', headers: type === '' ? {} : { 'content-type': type }, body });
          expect(answer.status).toBe(415);
          expect(messageOf(answer)).toMatch(/^The control API takes JSON only; send the body with content-type: application\/json, not /);
        }),
        { numRuns: 60 },
      );
      expect(JSON.parse((await send(sim.url, '/_sim/stats')).body)).toMatchObject({ tasks: 0 });
      await stillServes(sim);
    });

    it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON'])('takes %s', async (type) => {
      const answer = await send(sim.url, '/_sim/tasks', { method: 'POST', headers: { 'content-type': type }, body: '{"dialect":"evo","reads":1}' });
      expect(answer.status).toBe(201);
    });
  });

  describe('the control API refuses a Host that is not this machine (DNS rebinding)', () => {
    const port = fc.option(fc.integer({ min: 0, max: 65535 }).map((n) => `:${n}`), { nil: '' });
    const trailingDot = fc.boolean().map((dot) => (dot ? '.' : ''));
    const rebindingNames = fc
      .domain()
      .filter((name) => name !== 'localhost' && !name.endsWith('.localhost'))
      .chain((name) => fc.mixedCase(fc.constant(name)));
    const otherV4 = fc.ipV4().filter((ip) => !ip.startsWith('127.'));
    const otherV6 = fc
      .ipV6()
      .map((ip) => `[${ip}]`)
      .filter((ip) => {
        const short = new URL(`http://${ip}/`).hostname;
        return short !== '[::1]' && !short.startsWith('[::ffff:7f');
      });
    const hostile = fc.oneof(
      fc.tuple(rebindingNames, trailingDot, port).map((parts) => parts.join('')),
      fc.tuple(otherV4, port).map((parts) => parts.join('')),
      fc.tuple(otherV6, port).map((parts) => parts.join('')),
      // Loopback names written loosely are matched by no rule: a trailing dot, a user part, a bad port.
      fc.tuple(fc.mixedCase(fc.constantFrom('localhost', 'app.localhost')), port).map(([name, p]) => `${name}.${p}`),
      fc.constantFrom('127.0.0.1.', 'evil.test@127.0.0.1', '127.0.0.1:99999', '127.0.0.1:', 'localhost:80:80', '[::1', '::1', '127.1', '2130706433', '0x7f.0.0.1', 'localhost..', '.localhost', '', ' '),
    );
    const loopback = fc.tuple(
      fc.oneof(fc.mixedCase(fc.constantFrom('localhost', 'app.localhost', 'a.b.localhost')), fc.ipV4().map((ip) => `127.${ip.split('.').slice(1).join('.')}`), fc.constantFrom('[::1]', '[0:0:0:0:0:0:0:1]', '[::ffff:127.0.0.1]', '[::FFFF:7F00:1]')),
      port,
    );

    it('answers 403 to any other Host, on every control route, and acts on none', async () => {
      await fc.assert(
        fc.asyncProperty(hostile, fc.constantFrom('GET /_sim/requests', 'GET /_sim/stats', 'POST /_sim/faults', 'POST /_sim/tasks'), async (host, route) => {
          const [method, path] = route.split(' ') as [string, string];
          const body = method === 'POST' ? (path === '/_sim/tasks' ? '{"dialect":"evo"}' : '{"kind":"status","status":500,"times":1000}') : '';
          const answer = await raw(sim.url, `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json`, body);
          expect(answer.status).toBe(403);
          const prefix = `The control API answers only requests addressed to localhost, a loopback address, the simulator's own address or a name in allowedHosts; this one was addressed to "${host.trim().slice(0, 40)}`;
          expect(messageOf(answer as Answer).slice(0, prefix.length)).toBe(prefix);
        }),
        { numRuns: 150 },
      );
      // Without a Host: HTTP/1.0 may leave it out (HTTP/1.1 may not: Node answers that 400 itself).
      expect(await raw(sim.url, 'GET /_sim/requests HTTP/1.0')).toMatchObject({ status: 403, body: expect.stringContaining('this one had no Host header.') });
      expect((await raw(sim.url, 'GET /_sim/requests HTTP/1.1')).status).toBe(400);
      expect(JSON.parse((await send(sim.url, '/_sim/stats')).body)).toMatchObject({ tasks: 0 });
      await stillServes(sim);
    });

    it('answers a loopback Host: localhost, *.localhost, 127.0.0.0/8, [::1], any case, any port', async () => {
      await fc.assert(
        fc.asyncProperty(loopback, async ([name, p]) => {
          expect((await raw(sim.url, `GET /_sim/stats HTTP/1.1\r\nhost: ${name}${p}`)).status).toBe(200);
        }),
        { numRuns: 60 },
      );
    });

    it('answers a Host listed in allowedHosts, and still no other', async () => {
      const named = await startTaskServer({ allowedHosts: ['sim', 'FD00::5'] });
      try {
        for (const host of ['sim', 'SIM:8080', '[fd00::5]:1', '[FD00:0::5]']) expect((await send(named.url, '/_sim/stats', { headers: { host } })).status).toBe(200);
        for (const host of ['sim.', 'simx', 'evil.sim', '[fd00::6]']) expect((await send(named.url, '/_sim/stats', { headers: { host } })).status).toBe(403);
      } finally {
        await named.close();
      }
    });

    it('leaves the task API open to any Host (it allows any origin anyway)', async () => {
      const task = sim.create('benchling', { reads: 1 });
      expect((await send(sim.url, new URL(task.url).pathname, { headers: { host: 'evil.test' } })).status).toBe(200);
    });

    it('refuses allowedHosts it could not match, naming the entry', async () => {
      await expect(startTaskServer({ allowedHosts: ['sim:8080'] })).rejects.toThrow(
        new TypeError('startTaskServer: option "allowedHosts" takes host names or addresses without a port, e.g. "sim" or "[fe80::1]", but had "sim:8080".'),
      );
      await expect(startTaskServer({ allowedHosts: 'sim' as never })).rejects.toThrow(
        new TypeError('startTaskServer: option "allowedHosts" must be an array of host names, e.g. ["sim"], but was "sim".'),
      );
      for (const bad of ['', 'a b', 'evil.test.', 'x@y', 5]) await expect(startTaskServer({ allowedHosts: [bad as string] })).rejects.toThrow(/option "allowedHosts" takes host names/);
    });
  });

  describe('fault specs are checked, field by field', () => {
    const kinds = fc.constantFrom<FaultSpec['kind']>('status', 'reset', 'slow', 'malformed', 'html', 'wrong-shape', 'oversized', 'truncated', 'redirect', 'unknown-status', 'hint');
    const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }));
    const notNumber = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.constant({}));
    const badHeader = fc
      .tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\r\n', '\r', '\n', '\0', '\x01', '\x1b', '\x7f', '\u0100', '\u2028', '😀'), fc.string({ maxLength: 8 }))
      .map((parts) => parts.join(''));
    const fraction = fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((n) => !Number.isInteger(n));
    const huge = fc.constantFrom(2 ** 53, 1e21, 1e308);
    const negative = fc.oneof(fc.integer({ max: -1 }), fc.double({ max: -Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true }));
    /** A field and a value it must refuse. */
    const bad: fc.Arbitrary<[string, unknown]> = fc.oneof(
      fc.tuple(fc.constant('kind'), fc.oneof(fc.string().filter((s) => !['status', 'reset', 'slow', 'malformed', 'html', 'wrong-shape', 'oversized', 'truncated', 'redirect', 'unknown-status', 'hint'].includes(s) && s !== ''), notString.filter((v) => v !== null))),
      fc.tuple(fc.constantFrom('retryAfter', 'location'), fc.oneof(badHeader, notString)),
      fc.tuple(fc.constant('status'), fc.oneof(fc.integer({ max: 199 }), fc.integer({ min: 600 }), fraction, huge, notNumber)),
      fc.tuple(fc.constant('times'), fc.oneof(fc.constant(0), negative, fraction, huge, notNumber)),
      fc.tuple(fc.constant('skip'), fc.oneof(negative, fraction, huge, notNumber)),
      fc.tuple(fc.constant('probability'), fc.oneof(negative, fc.double({ min: 1, minExcluded: true, noNaN: true, noDefaultInfinity: true }), notNumber)),
      fc.tuple(fc.constant('delayMs'), fc.oneof(negative, huge, notNumber)),
      fc.tuple(fc.constant('bytes'), fc.oneof(negative, fraction, fc.integer({ min: 64 * 1024 * 1024 + 1 }), huge, notNumber)),
      fc.tuple(fc.constant('retryAfterMs'), notNumber),
      fc.tuple(fc.constant('method'), fc.oneof(fc.constantFrom('', 'GET ', 'G\r\nET', 'GET/1', '(GET)'), notString)),
      fc.tuple(fc.constant('path'), fc.oneof(fc.string().filter((s) => !s.startsWith('/')), notString)),
      fc.tuple(fc.constantFrom('taskId', 'word'), notString),
      fc.tuple(fc.constantFrom('stauts', 'retry_after', '__proto__', 'constructor', 'toString'), fc.jsonValue()),
    );

    it('answers 400 naming the field to every bad spec, and keeps serving without it', async () => {
      await fc.assert(
        fc.asyncProperty(kinds, bad, async (kind, [field, value]) => {
          const body = `{"kind":${JSON.stringify(kind)},${JSON.stringify(field)}:${JSON.stringify(value)}}`;
          const answer = await send(sim.url, '/_sim/faults', { method: 'POST', headers: json, body });
          expect(answer.status).toBe(400);
          expect(messageOf(answer)).toContain(`"${field}"`);
          expect(messageOf(answer)).toMatch(/^startTaskServer: (the fault's "[a-zA-Z]+" must be .*, but was .*|a fault has no field ".*"; its fields are kind, taskId, .*)\.$/s);
        }),
        { numRuns: 300 },
      );
      await stillServes(sim);
    });

    it('throws a TypeError naming the field when the fault is given in code', () => {
      fc.assert(
        fc.property(kinds, bad, (kind, [field, value]) => {
          const spec = JSON.parse(`{"kind":${JSON.stringify(kind)},${JSON.stringify(field)}:${JSON.stringify(value)}}`) as FaultSpec;
          expect(() => sim.fault(spec)).toThrow(TypeError);
          expect(() => sim.fault(spec)).toThrow(`"${field}"`);
        }),
        { numRuns: 300 },
      );
      for (const [field, value] of [['times', NaN], ['delayMs', Infinity], ['status', -Infinity], ['probability', NaN], ['retryAfterMs', NaN], ['retryAfterMs', Infinity], ['skip', Infinity]] as const) {
        expect(() => sim.fault({ kind: 'status', [field]: value })).toThrow(new RegExp(`^startTaskServer: the fault's "${field}" must be `));
      }
      expect(() => sim.fault({ kind: 'hint', retryAfter: '1\r\nset-cookie: a=b' })).toThrow(
        new TypeError('startTaskServer: the fault\'s "retryAfter" must be a header value: text without CR, LF, NUL or other control characters, but was "1\\r\\nset-cookie: a=b".'),
      );
      expect(() => sim.fault({ kind: 'status', status: 99 })).toThrow(new TypeError('startTaskServer: the fault\'s "status" must be a whole number from 200 to 599, but was 99.'));
      expect(() => sim.fault({ kind: 'slow', delayMs: -1 })).toThrow(new TypeError('startTaskServer: the fault\'s "delayMs" must be a number from 0 to 9007199254740991, but was -1.'));
      expect(() => sim.fault({ kind: 'nap' } as never)).toThrow(
        new TypeError('startTaskServer: the fault\'s "kind" must be one of status, reset, slow, malformed, html, wrong-shape, oversized, truncated, redirect, unknown-status, hint, but was "nap".'),
      );
      expect(() => sim.fault({ kind: 'status', stauts: 500 } as never)).toThrow(
        new TypeError('startTaskServer: a fault has no field "stauts"; its fields are kind, taskId, method, path, times, skip, probability, status, retryAfter, retryAfterMs, delayMs, bytes, location, word.'),
      );
      for (const spec of [null, [], 'status', 5, { status: 503 }]) expect(() => sim.fault(spec as never)).toThrow(new TypeError('startTaskServer: a fault needs a kind, e.g. { kind: "status", status: 503 }.'));
    });

    it('takes the edge values that are good', async () => {
      const good: FaultSpec[] = [
        { kind: 'status', status: 200, times: Infinity, taskId: 'none' },
        { kind: 'status', status: 599, times: Number.MAX_SAFE_INTEGER, skip: Number.MAX_SAFE_INTEGER, taskId: 'none' },
        { kind: 'hint', retryAfter: '\t2 é', retryAfterMs: -1.5, probability: 0, taskId: 'none' },
        { kind: 'slow', delayMs: 0, taskId: 'none' },
        { kind: 'slow', delayMs: Number.MAX_SAFE_INTEGER, probability: 1, taskId: 'none' },
        { kind: 'oversized', bytes: 0, taskId: 'none' },
        { kind: 'oversized', bytes: 64 * 1024 * 1024, taskId: 'none' },
        { kind: 'redirect', location: '', method: 'PATCH', path: '/', word: '', taskId: 'none' },
      ];
      for (const spec of good) {
        expect(() => sim.fault(spec)).not.toThrow();
        if (spec.times !== Infinity) expect((await post(sim, '/_sim/faults', spec)).status).toBe(201);
      }
      await stillServes(sim);
    });

    it('answers a request whose hint could not be sent, and keeps serving (the old crash)', async () => {
      const task = sim.create('benchling', { reads: 3 });
      expect((await post(sim, '/_sim/faults', { kind: 'hint', retryAfter: '1\r\nx-injected: 1', taskId: task.id })).status).toBe(400);
      expect((await post(sim, '/_sim/faults', { kind: 'hint', retryAfter: '7', retryAfterMs: 70, taskId: task.id })).status).toBe(201);
      const hinted = await send(sim.url, new URL(task.url).pathname);
      expect(hinted.headers).toMatchObject({ 'retry-after': '7', 'retry-after-ms': '70' });
      // The hint was that request's: the next answers carry none.
      const next = await send(sim.url, new URL(task.url).pathname);
      expect(next.headers['retry-after']).toBeUndefined();
      await stillServes(sim);
    });
  });

  describe('task specs are checked too', () => {
    it.each([
      [{ reads: 0 }, 'the task\'s "reads" must be a whole number from 1 to 9007199254740991, but was 0.'],
      [{ durationMs: -1 }, 'the task\'s "durationMs" must be a number from 0 to 9007199254740991, but was -1.'],
      [{ outcome: 'exploded' }, 'the task\'s "outcome" must be one of succeeded, failed, canceled, but was "exploded".'],
      [{ subtasks: 'ab' }, 'the task\'s "subtasks" must be an array of strings, but was "ab".'],
      [{ failure: { code: 5 } }, 'the task\'s "failure" must be an object with a string "code" and "message", e.g. { "code": "E42", "message": "Boom" }, but was an object.'],
      [{ id: '' }, 'the task\'s "id" must be a non-empty string, but was "".'],
      [{ duration: 5 }, 'a task has no field "duration"; its fields are durationMs, reads, progress, subtasks, outcome, result, failure, resultExpiresAfterMs, id.'],
    ])('answers 400 to %j, and throws the same TypeError in code', async (spec, message) => {
      const answer = await post(sim, '/_sim/tasks', { dialect: 'evo', ...spec });
      expect(answer.status).toBe(400);
      expect(messageOf(answer)).toBe(`startTaskServer: ${message}`);
      expect(() => sim.create('evo', spec as never)).toThrow(new TypeError(`startTaskServer: ${message}`));
    });

    it('refuses a result nested too deep to be written back, instead of failing every read of it', async () => {
      const depth = 100_000;
      const body = `{"dialect":"benchling","result":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const answer = await send(sim.url, '/_sim/tasks', { method: 'POST', headers: json, body });
      expect(answer.status).toBe(400);
      expect(messageOf(answer)).toBe('startTaskServer: the task\'s "result" must be a JSON value (JSON.stringify could not write it), but was an array.');
      expect(() => sim.create('evo', { result: 10n })).toThrow(/the task's "result" must be a JSON value/);
    });
  });

  describe('no input takes it down', () => {
    it('answers every JSON body on every route that reads one with less than 500, and keeps serving', async () => {
      const deadline = sim.create('deadline', { reads: 1000 });
      const routes = [
        { path: '/_sim/tasks', headers: json },
        { path: '/_sim/faults', headers: json },
        { path: '/compute/orgs/o/geostatistics/kriging', headers: json },
        { path: new URL(deadline.url).pathname, headers: json, method: 'PATCH' },
      ];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes), fc.oneof(fc.jsonValue().map((value) => JSON.stringify(value)), fc.string()), async (route, body) => {
          const answer = await send(sim.url, route.path, { method: route.method ?? 'POST', headers: route.headers, body });
          expect(answer.status).toBeGreaterThanOrEqual(200);
          expect(answer.status).toBeLessThan(500);
        }),
        { numRuns: 300 },
      );
      await stillServes(sim);
    });

    it('answers 500 to a request it failed to handle, and keeps serving the others', async () => {
      const throwing = await startTaskServer({
        random: () => {
          throw new Error('no randomness today');
        },
      });
      try {
        const unlucky = throwing.create('benchling', { reads: 5 });
        throwing.fault({ kind: 'status', probability: 0.5, times: Infinity, taskId: unlucky.id });
        const failed = await send(throwing.url, new URL(unlucky.url).pathname);
        expect(failed.status).toBe(500);
        expect(messageOf(failed)).toBe('The simulator could not answer this request: no randomness today');
        await stillServes(throwing);
        expect((await send(throwing.url, new URL(unlucky.url).pathname)).status).toBe(500);
      } finally {
        await throwing.close();
      }
    });

    it('answers 400 to a request target that is no path, and 404 to a task id with broken escapes', async () => {
      expect(await raw(sim.url, `GET http://[ HTTP/1.1\r\nhost: localhost`)).toEqual({
        status: 400,
        body: '{"message":"The request target \\"http://[\\" is not a path; ask for e.g. /api/v2/tasks/<id>."}',
      });
      expect((await send(sim.url, '/api/v2/tasks/%E0%A4%A')).status).toBe(404);
      await stillServes(sim);
    });
  });

  describe('the request log is a ring', () => {
    it('keeps the last requestLogSize requests and counts them all', async () => {
      const small = await startTaskServer({ requestLogSize: 5 });
      try {
        const tasks = Array.from({ length: 20 }, (_, i) => small.create('benchling', { reads: 1, id: `t${i}` }));
        for (const task of tasks) await send(small.url, new URL(task.url).pathname);
        expect(small.requests.map((r) => r.taskId)).toEqual(['t15', 't16', 't17', 't18', 't19']);
        const listed = JSON.parse((await send(small.url, '/_sim/requests')).body) as Array<{ taskId: string }>;
        expect(listed.map((r) => r.taskId)).toEqual(['t15', 't16', 't17', 't18', 't19']);
        expect(JSON.parse((await send(small.url, '/_sim/stats')).body)).toMatchObject({ requests: 20 });
      } finally {
        await small.close();
      }
    });

    it('keeps 1000 by default', async () => {
      const task = sim.create('benchling', { reads: 1 });
      const path = new URL(task.url).pathname;
      for (let batch = 0; batch < 11; batch++) await Promise.all(Array.from({ length: 100 }, () => fetch(`${sim.url}${path}`).then((r) => r.arrayBuffer())));
      expect(sim.requests).toHaveLength(1000);
      expect(JSON.parse((await send(sim.url, '/_sim/stats')).body)).toMatchObject({ requests: 1100 });
    });

    it.each([0, 1, Infinity])('takes requestLogSize %p', async (size) => {
      const sized = await startTaskServer({ requestLogSize: size });
      try {
        const task = sized.create('benchling', { reads: 1 });
        await send(sized.url, new URL(task.url).pathname);
        await send(sized.url, new URL(task.url).pathname);
        expect(sized.requests).toHaveLength(Math.min(size, 2));
      } finally {
        await sized.close();
      }
    });

    it.each([-1, 1.5, NaN, '10', null])('refuses requestLogSize %p', async (size) => {
      await expect(startTaskServer({ requestLogSize: size as number })).rejects.toThrow(
        /^startTaskServer: option "requestLogSize" must be a whole number of at least 0 \(or Infinity\), but was .*\.$/,
      );
    });
  });

  describe('the tasks held are bounded', () => {
    it('keeps the last maxTasks tasks; an older one answers 404, as an expired task does', async () => {
      const small = await startTaskServer({ maxTasks: 5 });
      try {
        const tasks = Array.from({ length: 8 }, (_, i) => small.create('benchling', { reads: 1, id: `t${i}` }));
        const statuses = await Promise.all(tasks.map(async (task) => (await send(small.url, new URL(task.url).pathname)).status));
        expect(statuses).toEqual([404, 404, 404, 200, 200, 200, 200, 200]);
        expect(JSON.parse((await send(small.url, '/_sim/stats')).body)).toMatchObject({ tasks: 5 });
      } finally {
        await small.close();
      }
    });

    it('holds no more however many tasks a page on another origin submits (Evo, text/plain, a megabyte each)', async () => {
      const small = await startTaskServer({ maxTasks: 5 });
      try {
        const result = 'x'.repeat(900 * 1024);
        for (let i = 0; i < 20; i++) {
          await send(small.url, '/compute/orgs/o/geo/krig', {
            method: 'POST',
            headers: { 'content-type': 'text/plain', origin: 'https://elsewhere.example' },
            body: JSON.stringify({ parameters: { simulate: { reads: 1, result: { blob: result } } } }),
          });
        }
        expect(JSON.parse((await send(small.url, '/_sim/stats')).body)).toMatchObject({ tasks: 5 });
      } finally {
        await small.close();
      }
    });

    it.each([0, -1, 1.5, NaN, '10', null])('refuses maxTasks %p', async (size) => {
      await expect(startTaskServer({ maxTasks: size as number })).rejects.toThrow(
        /^startTaskServer: option "maxTasks" must be a whole number of at least 1 \(or Infinity\), but was .*\.$/,
      );
    });
  });

  describe('request bodies have a limit', () => {
    it.each([
      ['a task route', '/compute/orgs/o/geostatistics/kriging'],
      ['the control API', '/_sim/tasks'],
    ])('answers 413 to a body over 1 MiB on %s, announced or chunked, and keeps serving', async (_name, path) => {
      const big = `{"dialect":"evo","padding":"${'x'.repeat(1024 * 1024)}"}`;
      for (const chunked of [false, true]) {
        const answer = await send(sim.url, path, { method: 'POST', headers: json, body: big, chunked });
        expect(answer.status).toBe(413);
        expect(messageOf(answer)).toBe("The request body is over 1048576 bytes, the simulator's maxBodyBytes; send a smaller one.");
      }
      expect(JSON.parse((await send(sim.url, '/_sim/stats')).body)).toMatchObject({ tasks: 0, requests: 0 });
      await stillServes(sim);
    });

    it('answers 413 before the body is sent, and lets the client finish sending before it closes', async () => {
      const socket = connect(Number(new URL(sim.url).port), '127.0.0.1');
      const errors: unknown[] = [];
      socket.on('error', (error) => errors.push(error));
      let text = '';
      socket.setEncoding('latin1');
      const answered = new Promise<void>((resolve) =>
        socket.on('data', (chunk: string) => {
          text += chunk;
          if (text.endsWith('maxBodyBytes; send a smaller one."}')) resolve();
        }),
      );
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      const size = 4 * 1024 * 1024;
      socket.write(`POST /_sim/tasks HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: ${size}\r\n\r\n{`);
      await answered;
      expect(text).toMatch(/^HTTP\/1\.1 413 /);
      // Closed at once, the connection would be reset under these writes, and a client could lose the answer.
      socket.end(Buffer.alloc(size - 1, 32));
      await closed;
      expect(errors).toEqual([]);
      await stillServes(sim);
    });

    it('reads a body of exactly maxBodyBytes, and refuses one byte more', async () => {
      const limited = await startTaskServer({ maxBodyBytes: 100 });
      try {
        const body = (extra: number) => `{"dialect":"evo"}`.padEnd(100 + extra, ' ');
        expect((await send(limited.url, '/_sim/tasks', { method: 'POST', headers: json, body: body(0) })).status).toBe(201);
        expect((await send(limited.url, '/_sim/tasks', { method: 'POST', headers: json, body: body(1), chunked: true })).status).toBe(413);
        expect((await send(limited.url, '/_sim/tasks', { method: 'POST', headers: json, body: body(1) })).status).toBe(413);
      } finally {
        await limited.close();
      }
    });

    it.each([-1, 0.5, Infinity, NaN, '1mb'])('refuses maxBodyBytes %p', async (size) => {
      await expect(startTaskServer({ maxBodyBytes: size as number })).rejects.toThrow(/^startTaskServer: option "maxBodyBytes" must be a whole number from 0 to 9007199254740991, but was .*\.$/);
    });
  });
});

describe('poll-task serve is safe to leave running', () => {
  beforeAll(() => {
    if (!existsSync(cliPath)) throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
  });

  it('stays up after a bad spec and hostile requests, and stops on Ctrl-C', async () => {
    let checked: Promise<void> | undefined;
    const run = await runBuilt(['serve'], {
      onStdout: (text, child) => {
        if (checked !== undefined || !text.includes('Press Ctrl-C to stop.')) return;
        const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text)![1]!;
        checked = (async () => {
          const bad = await send(url, '/_sim/faults', { method: 'POST', headers: json, body: '{"kind":"hint","retryAfter":"1\\r\\nx-injected: 1"}' });
          expect(bad.status).toBe(400);
          expect((await send(url, '/_sim/faults', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"kind":"reset","times":1000}' })).status).toBe(415);
          expect((await send(url, '/_sim/requests', { headers: { host: 'rebound.evil.test' } })).status).toBe(403);
          expect((await send(url, '/_sim/tasks', { method: 'POST', headers: json, body: `{"dialect":"evo","x":"${'x'.repeat(2 * 1024 * 1024)}"}` })).status).toBe(413);
          const created = await send(url, '/_sim/tasks', { method: 'POST', headers: json, body: '{"dialect":"evo","reads":1}' });
          expect(created.status).toBe(201);
          const read = await send(url, new URL((JSON.parse(created.body) as { url: string }).url).pathname);
          expect(read.status).toBe(200);
        })().finally(() => child.kill('SIGINT'));
      },
    });
    await checked;
    expect(run).toMatchObject({ code: 0, signal: null });
    expect(run.stdout).toContain('Simulator stopped.');
    expect(run.stderr).toBe('');
  });
});
