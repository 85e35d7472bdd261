import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from '../../lib/cli/run-cli.js';
import { DecodeError, TransportError, UnsafeUrlError, withInterval } from '../../lib/index.js';
import { benchling, httpTask, type Fetch } from '../../lib/http/index.js';
import { maxRememberedValues } from '../../lib/util/redact.js';
import { fakeIo } from '../helpers/cli.js';
import { run } from '../helpers/sim.js';
import { expectNowhere, once, showingsOf, showingsOfError } from '../helpers/showings.js';

// The ways a hostile or careless service (or fetch) may hand a secret back that a list of known encodings
// misses: escaped JSON quoted whole, encoders that escape some characters and keep others, headers kept on
// a fetch error outside its strings, a token rotated away, a redirect target built from the request.

/** Characters that mean something to JSON, URLs and HTML, and Latin-1 beyond ASCII. */
const hostile = [...'"\\/&<>=+%#;:?@\'`~!*()[]{}|,. é', '\u00ff'];
const unit = fc.oneof(fc.constantFrom(...hostile), fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)));
/** A credential: 8 to 40 characters, not one character over and over, no space at either end. */
const credential = fc.string({ unit, minLength: 8, maxLength: 40 }).filter((value) => value.trim() === value && new Set(value).size >= 4);

const hex = (c: string, width: number): string => c.charCodeAt(0).toString(16).padStart(width, '0');
const utf8Percent = (c: string): string => encodeURIComponent(c).replace(/^[^%]/, (raw) => `%${hex(raw, 2)}`);
/** How one character may be written back: as it is, \u-escaped, percent-escaped, an HTML entity (hex or decimal). */
const charForms: ReadonlyArray<(c: string) => string> = [
  (c) => c,
  (c) => `\\u${hex(c, 4)}`,
  (c) => `\\u${hex(c, 4).toUpperCase()}`,
  (c) => utf8Percent(c),
  (c) => utf8Percent(c).toLowerCase(),
  (c) => `&#x${hex(c, 1)};`,
  (c) => `&#X${hex(c, 1).toUpperCase()};`,
  (c) => `&#${c.charCodeAt(0)};`,
];
/**
 * The characters that start an escape, as the encoder of each escape writes them: an encoder that writes
 * escapes escapes these too, and a "%" left as it is before "41" would read as "A".
 */
const escapeStarts: Readonly<Record<string, string>> = { '\\': '\\\\', '%': '%25', '&': '&amp;' };
/** An encoder that writes each character its own way: every mix of the encoders real services use. */
const mixedEncoder = fc.array(fc.integer({ min: 0, max: charForms.length - 1 }), { minLength: 1, maxLength: 40 }).map(
  (choices) =>
    (value: string): string =>
      [...value].map((c, i) => escapeStarts[c] ?? charForms[choices[i % choices.length]!]!(c)).join(''),
);
/** Named encoders the adversarial probes used (Go's JSON, Handlebars, OWASP, Python's quote(), RFC 3986 lower-case). */
const namedEncoders: ReadonlyArray<(value: string) => string> = [
  (value) => [...value].map((c) => `\\u${hex(c, 4)}`).join(''),
  (value) => JSON.stringify(value).slice(1, -1).replace(/&/g, '\\u0026').replace(/</g, '\\u003c').replace(/>/g, '\\u003e'),
  (value) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;').replace(/`/g, '&#x60;').replace(/=/g, '&#x3D;'),
  (value) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;').replace(/\//g, '&#x2F;'),
  (value) => value.replace(/&/g, '&amp;').replace(/=/g, '&equals;').replace(/\//g, '&sol;').replace(/\+/g, '&plus;'),
  (value) => encodeURIComponent(value).replace(/%2F/g, '/'),
  (value) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${hex(c, 2)}`).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
  (value) => encodeURIComponent(encodeURIComponent(value)),
];
const encoder = fc.oneof(fc.constantFrom(...namedEncoders), mixedEncoder);

/** Where the echo goes: a JSON error body with no message field, a 200 status body, a too-deep body, HTML or text. */
type Shape = 'json-no-message' | 'json-200' | 'json-too-deep' | 'html' | 'text';
const shapes: readonly Shape[] = ['json-no-message', 'json-200', 'json-too-deep', 'html', 'text'];

/** A JSON string literal holding `encoded` as sent: escapes a JSON parser decodes stay escapes. */
const literal = (encoded: string): string => `"${encoded.replace(/\\(?!u[0-9a-fA-F]{4})/g, '\\\\').replace(/"/g, '\\u0022')}"`;

function bodyOf(shape: Shape, encoded: string, first: boolean): { status: number; type: string; text: string } {
  // A "\u" form is a JSON escape only inside JSON; in HTML or text it is just characters.
  switch (shape) {
    case 'json-no-message':
      return { status: first ? 401 : 500, type: 'application/json', text: `{"code":"unauthorized","headers":{"x-access-key":${literal(encoded)}}}` };
    case 'json-200':
      return { status: 200, type: 'application/json', text: `{"status":${first ? '"RUNNING"' : '"SUCCEEDED"'},"echo":${literal(encoded)},"response":{"k":${literal(encoded)}}}` };
    case 'json-too-deep':
      return { status: 200, type: 'application/json', text: `{"echo":${literal(encoded)},"d":${'['.repeat(600)}${']'.repeat(600)}}` };
    case 'html':
      return { status: 401, type: 'text/html', text: `<html><body><p>Bad key ${encoded}</p></body></html>` };
    case 'text':
      return { status: 400, type: 'text/plain', text: `bad request: key=${encoded}` };
  }
}

/** A service that answers what `answer` says, after recording the headers it was sent. */
class HostileServer {
  answer: (request: { url: string; key: string; served: number }) => { status: number; type?: string; text?: string; location?: string } = () => ({ status: 404 });
  served = 0;
  readonly keys: string[] = [];
  private server: Server | undefined;
  url = '';
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const key = String(request.headers['x-access-key'] ?? '');
      this.keys.push(key);
      const { status, type, text, location } = this.answer({ url: request.url ?? '/', key, served: this.served++ });
      response.writeHead(status, { ...(type === undefined ? {} : { 'content-type': type }), ...(location === undefined ? {} : { location }) });
      response.end(text ?? '');
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
  }

  reset(answer: HostileServer['answer']): void {
    this.answer = answer;
    this.served = 0;
    this.keys.length = 0;
  }

  close(): Promise<void> {
    return new Promise((done) => this.server!.close(() => done()));
  }
}


describe('secrets never come back, however a service or a fetch hands them back', () => {
  const server = new HostileServer();
  beforeAll(() => server.start());
  afterAll(() => server.close());

  it('an echo written by any mix of JSON escapes, HTML entities and percent-escapes, in any body', async () => {
    await fc.assert(
      fc.asyncProperty(credential, encoder, fc.constantFrom(...shapes), async (key, encode, shape) => {
        const encoded = encode(key);
        server.reset(({ served }) => bodyOf(shape, encoded, served === 0));
        const outcome = await run(httpTask({ url: `${server.url}/api/v2/tasks/1`, dialect: benchling, headers: { 'x-access-key': key } }), once());
        expect(server.keys[0]).toBe(key);
        if (shape === 'json-200') expect(outcome.result).toBeDefined();
        else expect(outcome.error).toBeInstanceOf(shape === 'json-too-deep' ? DecodeError : TransportError);
        expectNowhere(showingsOf(outcome), [key, encoded]);
      }),
      { numRuns: 150 },
    );
  });

  it('a JSON error body with no message field is quoted as parsed: its other words still show', async () => {
    server.reset(() => ({ status: 401, type: 'application/json', text: `{"code":"unauthorized","echo":"${[...'k3y-value/+=='].map((c) => `\\u${hex(c, 4)}`).join('')}"}` }));
    const outcome = await run(httpTask({ url: `${server.url}/api/v2/tasks/1`, dialect: benchling, headers: { 'x-access-key': 'k3y-value/+==' } }), once());
    expect((outcome.error as Error).message).toContain('the service said: "{"code":"unauthorized","echo":"[redacted]"}"');
  });

  it('a body nested too deep is quoted without its strings', async () => {
    server.reset(() => ({ status: 200, type: 'application/json', text: `{"echo":"\\u0041bcdefgh-1234","d":${'['.repeat(600)}${']'.repeat(600)}}` }));
    const outcome = await run(httpTask({ url: `${server.url}/api/v2/tasks/1`, dialect: benchling, headers: { 'x-access-key': 'Abcdefgh-1234' } }), once());
    expect(outcome.error).toBeInstanceOf(DecodeError);
    expect((outcome.error as Error).message).toContain('{"":"","":[[[[');
  });

  it('the CLI prints no key from the environment that a service echoes escaped in a body with no message field', async () => {
    await fc.assert(
      fc.asyncProperty(credential, encoder, fc.constantFrom<Shape>('json-no-message', 'html', 'text'), async (key, encode, shape) => {
        const encoded = encode(key);
        server.reset(({ served }) => bodyOf(shape, encoded, served === 0));
        const fake = fakeIo({ POLL_TASK_HEADER_X_ACCESS_KEY: key });
        expect(await runCli(['watch', `${server.url}/api/v2/tasks/1`, '--dialect', 'benchling', '--interval', '1ms', '--json'], fake.io)).toBe(4);
        expect(server.keys[0]).toBe(key);
        expectNowhere([fake.out(), fake.err()], [key, encoded]);
      }),
      { numRuns: 30 },
    );
  });

  /** Ways a fetch wrapper (got, ky, a signer) keeps the request's headers on the error it throws. */
  const holders: ReadonlyArray<(headers: Record<string, string>, depth: number) => unknown> = [
    (headers, depth) => Object.assign(new Error('Request failed'), { code: 'ECONNRESET', options: nest({ headers }, depth) }),
    (headers, depth) => Object.assign(new Error('socket hang up'), { requestHeaders: nest(Object.entries(headers), depth) }),
    (headers, depth) => Object.assign(new Error('socket hang up'), { headers: nest(new Map(Object.entries(headers)), depth) }),
    (headers, depth) => Object.assign(new Error('socket hang up'), { values: nest(new Set(Object.values(headers)), depth) }),
    (headers, depth) => Object.assign(new Error('socket hang up'), { [Symbol('request')]: nest(`x-access-key: ${headers['x-access-key']!}`, depth) }),
    (headers, depth) => Object.assign(new Error('socket hang up'), { headers: nest(new Headers(headers), depth) }),
    (headers, depth) => nest({ message: 'failed', headers }, depth),
    (headers, depth) => Object.defineProperty(new Error('x'), 'request', { get: () => nest({ headers }, depth), enumerable: true }),
    (headers, depth) => Object.assign(new Error('x'), { request: { toJSON: () => nest(headers, depth) } }),
    (headers, depth) => new Error('outer', { cause: new Error('middle', { cause: Object.assign(new Error('inner'), { options: nest({ headers }, depth) }) }) }),
    (headers, depth) => Object.assign(new Error('x'), { detail: nest(encodeURIComponent(headers['x-access-key']!).replace(/%2F/g, '/'), depth) }),
  ];
  /** `value` wrapped in `depth` objects and arrays, up to far deeper than any check looks. */
  function nest(value: unknown, depth: number): unknown {
    let out = value;
    for (let i = 0; i < depth; i++) out = i % 2 === 0 ? { inner: out } : [out];
    return out;
  }

  it('a fetch error that keeps the headers in any field, collection or depth is kept only as a clean copy', async () => {
    await fc.assert(
      fc.asyncProperty(credential, fc.nat({ max: holders.length - 1 }), fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 10, max: 40 })), async (key, which, depth) => {
        const failing: Fetch = async (_url, init) => {
          throw holders[which]!({ ...(init.headers as Record<string, string>) }, depth);
        };
        const outcome = await run(httpTask({ url: `${server.url}/api/v2/tasks/1`, dialect: benchling, fetch: failing, headers: { 'x-access-key': key } }), once());
        expect(outcome.error).toBeInstanceOf(TransportError);
        expect((outcome.error as TransportError).cause).toBeDefined();
        expectNowhere(showingsOfError(outcome.error), [key]);
      }),
      { numRuns: 150 },
    );
  });

  it('a fetch error that holds no secret is kept as it is', async () => {
    const thrown = Object.assign(new Error('socket hang up'), { options: { headers: new Map([['accept', 'application/json']]) }, [Symbol('at')]: 'nothing here' });
    const failing: Fetch = async () => {
      throw thrown;
    };
    const outcome = await run(httpTask({ url: `${server.url}/api/v2/tasks/1`, dialect: benchling, fetch: failing, headers: { 'x-access-key': 'k-0123456789' } }), once());
    expect((outcome.error as TransportError).cause).toBe(thrown);
  });

  it('a token a headers function rotated away stays a secret: echoed later in a 200 or a 401, it shows nowhere', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(credential, { minLength: 2, maxLength: 6 }), fc.boolean(), async (tokens, endWith401) => {
        const rotations = tokens.length;
        server.reset(({ served }) => {
          // Every answer quotes every token sent so far; the last one fails or ends the task.
          const said = server.keys.join(' | ');
          if (served < rotations - 1) return { status: 200, type: 'application/json', text: JSON.stringify({ status: 'RUNNING', startedWith: server.keys[0], message: said }) };
          return endWith401
            ? { status: 401, type: 'application/json', text: JSON.stringify({ message: `revoked: ${said}` }) }
            : { status: 200, type: 'application/json', text: JSON.stringify({ status: 'SUCCEEDED', response: { said } }) };
        });
        let calls = 0;
        const source = httpTask({ url: `${server.url}/api/v2/tasks/1`, dialect: benchling, headers: () => ({ 'x-access-key': tokens[Math.min(calls++, rotations - 1)]! }) });
        const outcome = await run(source, withInterval(0, { maxConsecutiveErrors: 0 }));
        expect(server.keys).toEqual(tokens);
        if (endWith401) expect(outcome.error).toBeInstanceOf(TransportError);
        else expect(outcome.result).toBeDefined();
        expectNowhere(showingsOf(outcome), tokens);
      }),
      { numRuns: 40 },
    );
  });

  it(`remembers the last ${maxRememberedValues} distinct values a headers function gave, and no more`, async () => {
    const tokens = Array.from({ length: maxRememberedValues + 2 }, (_, i) => `rotating-token-${String(i).padStart(4, '0')}`);
    server.reset(({ served }) => ({ status: 200, type: 'application/json', text: JSON.stringify({ status: served < tokens.length - 1 ? 'RUNNING' : 'SUCCEEDED', response: tokens }) }));
    let calls = 0;
    const source = httpTask({ url: `${server.url}/api/v2/tasks/1`, dialect: benchling, headers: () => ({ 'x-access-key': tokens[calls++]! }) });
    const outcome = await run(source, withInterval(0));
    expect(outcome.result).toEqual([...tokens.slice(0, 2), ...tokens.slice(2).map(() => '[redacted]')]);
  });

  it('a redirect whose target holds what the service was sent: no secret in the error, its url or its message', async () => {
    await fc.assert(
      fc.asyncProperty(credential, fc.constantFrom(encodeURIComponent, (v: string) => encodeURIComponent(v).replace(/%2F/g, '/')), fc.boolean(), async (key, encode, elsewhere) => {
        server.reset(({ url, key: sent }) => {
          if (url.startsWith('/echo/')) return { status: 404, type: 'application/json', text: '{"message":"no such task"}' };
          const path = `/echo/${encode(sent)}/status?k=${encodeURIComponent(sent)}`;
          return { status: 302, location: elsewhere ? `http://localhost:${server.port}${path}` : path };
        });
        const outcome = await run(httpTask({ url: `${server.url}/api/v2/tasks/1`, dialect: benchling, headers: { 'x-access-key': key } }), once());
        expect(outcome.error).toBeInstanceOf(elsewhere ? UnsafeUrlError : TransportError);
        const { url } = outcome.error as TransportError | UnsafeUrlError;
        expect(url).toMatch(elsewhere ? /^http:\/\/localhost:\d+\// : /^http:\/\/127\.0\.0\.1:\d+\//);
        expectNowhere(showingsOfError(outcome.error), [key, encode(key), encodeURIComponent(key)]);
      }),
      { numRuns: 60 },
    );
  });
});
