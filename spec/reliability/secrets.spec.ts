import fc from 'fast-check';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from '../../lib/cli/run-cli.js';
import { TransportError, UnsafeUrlError, isPollTaskError, withInterval } from '../../lib/index.js';
import { benchling, httpTask, type Fetch, type HeadersOption } from '../../lib/http/index.js';
import { harmlessHeaderNames } from '../../lib/util/redact.js';
import { startTaskServer, type TaskServer } from '../../lib/testing/index.js';
import { fakeIo } from '../helpers/cli.js';
import { run } from '../helpers/sim.js';
import { expectNowhere, once, showingsOf, showingsOfError } from '../helpers/showings.js';

// Every header value the library sends, but a harmless header's, is a secret: whatever a service echoes back
// (in a 200, a 4xx or a 5xx, as JSON, escaped, URL-encoded or in HTML), no secret shows in an error's
// message, String(), JSON, util.inspect() or cause chain, in a snapshot or a result, or in the CLI's output.

/** Characters that mean something to JSON, regexes, URLs, HTML and shells, and Latin-1 beyond ASCII. */
const hostile = ['"', '\\', '/', '$', '^', '*', '+', '?', '.', '(', ')', '[', ']', '{', '}', '|', '&', '<', '>', "'", '%', '=', ';', ',', ' ', '\t', ':', '@', '#', 'é', 'ÿ', '\u00a0', '\u0085'];
/** What a header can carry: tab, printable ASCII and Latin-1 (fetch sends them as bytes). */
const sendable = fc.oneof(fc.constantFrom(...hostile), fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), fc.integer({ min: 0xa0, max: 0xff }).map((c) => String.fromCharCode(c)));
/**
 * A credential: at least 8 characters once fetch has trimmed it, not one character over and over (so it
 * cannot turn up in a message by chance), possibly with spaces around it (fetch strips them).
 */
const credential = fc
  .tuple(fc.constantFrom('', ' ', '\t '), fc.string({ unit: sendable, minLength: 8, maxLength: 48 }), fc.constantFrom('', ' '))
  .filter(([, core]) => core.trim() === core && new Set(core).size >= 4)
  .map(([before, core, after]) => ({ sent: `${before}${core}${after}`, core }));

const credentialNames = ['x-auth-key', 'ocp-apim-subscription-key', 'x-access-key', 'api-key', 'apikey', 'x-goog-api-key', 'x-session-id', 'x-foo-signature', 'x-credential', 'x-tenant'];
const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789!#$%&\'*+-.^_`|~');
const headerName = fc.oneof(fc.constantFrom(...credentialNames), fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 }).map((name) => `x-${name}`));

type Mode =
  | 'running-then-result'
  | 'failed'
  | 'unknown-status'
  | 'wrong-shape'
  | 'escaped'
  | 'status-400'
  | 'status-401'
  | 'status-403'
  | 'status-404'
  | 'status-500'
  | 'status-503-html'
  | 'html';
const modes: readonly Mode[] = ['running-then-result', 'failed', 'unknown-status', 'wrong-shape', 'escaped', 'status-400', 'status-401', 'status-403', 'status-404', 'status-500', 'status-503-html', 'html'];

const htmlEscape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** JSON with every character of every string written as a \u escape. */
function escapedJson(value: unknown): string {
  const u = (s: string) => `"${s.split('').map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`;
  if (typeof value === 'string') return u(value);
  if (Array.isArray(value)) return `[${value.map(escapedJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) return `{${Object.entries(value).map(([k, v]) => `${u(k)}:${escapedJson(v)}`).join(',')}}`;
  return JSON.stringify(value);
}

/** The request's headers, echoed in every way a service might. */
function echoOf(headers: IncomingHttpHeaders): Record<string, unknown> {
  const entries = Object.entries(headers).map(([name, value]) => [name, String(value)] as const);
  const values = entries.map(([, value]) => value);
  return {
    headers: Object.fromEntries(entries),
    dump: JSON.stringify(Object.fromEntries(entries)),
    form: new URLSearchParams(entries.map(([name, value]) => [name, value])).toString(),
    percent: values.map(encodeURIComponent).join(' '),
    html: values.map(htmlEscape).join(' '),
    keys: Object.fromEntries(values.map((value) => [value, true])),
    joined: values.join(' | '),
  };
}

/** A service that echoes every request's headers back, as `mode` says. */
class EchoServer {
  mode: Mode = 'running-then-result';
  served = 0;
  readonly seen: IncomingHttpHeaders[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const { headers } = request;
      this.seen.push(headers);
      const first = this.served++ === 0;
      const echo = echoOf(headers);
      const joined = echo.joined as string;
      const json = (status: number, body: unknown, text = JSON.stringify(body)): void => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(text);
      };
      switch (this.mode) {
        case 'running-then-result':
          return json(200, first ? { status: 'RUNNING', message: joined, ...echo } : { status: 'SUCCEEDED', response: echo });
        case 'escaped': {
          const body = first ? { status: 'RUNNING', ...echo } : { status: 'SUCCEEDED', response: echo };
          return json(200, body, escapedJson(body));
        }
        case 'failed':
          return json(200, { status: 'FAILED', message: `rejected: ${joined}`, errors: [echo] });
        case 'unknown-status':
          return json(200, { status: String(headers['x-auth-key'] ?? joined), ...echo });
        case 'wrong-shape':
          return json(200, { status: 42, ...echo });
        case 'status-503-html':
        case 'html':
          response.writeHead(this.mode === 'html' ? 200 : 503, { 'content-type': 'text/html' });
          return response.end(`<html><body><pre>${joined}</pre><p>${echo.html as string}</p></body></html>`);
        default:
          return json(Number(this.mode.slice('status-'.length)), { message: `You sent ${joined}`, error: { message: joined }, ...echo });
      }
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reset(mode: Mode): void {
    this.mode = mode;
    this.served = 0;
    this.seen.length = 0;
  }

  close(): Promise<void> {
    return new Promise((done) => this.server!.close(() => done()));
  }
}


describe('secrets never leave in anything the library prints, throws or stores', () => {
  const echo = new EchoServer();
  beforeAll(() => echo.start());
  afterAll(() => echo.close());

  const scenario = fc.record({
    name: headerName,
    key: credential,
    token: credential,
    mode: fc.constantFrom(...modes),
    asFunction: fc.boolean(),
    query: credential.map(({ core }) => core),
  });

  it('a service that echoes the request: no header value in errors, cause chains, snapshots or results', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ name, key, token, mode, asFunction, query }) => {
        echo.reset(mode);
        const given = { [name]: key.sent, authorization: `Bearer ${token.sent}`, 'accept-language': 'en-GB' };
        const headers: HeadersOption = asFunction ? async () => given : given;
        const url = `${echo.url}/api/v2/tasks/1?access_token=${encodeURIComponent(query)}#${encodeURIComponent(query)}`;
        const source = httpTask({ url, dialect: benchling, headers });
        const outcome = await run(source, once());

        // The values did reach the service, and it did echo them.
        expect(echo.seen[0]?.[name.toLowerCase()]).toContain(key.core);
        expect(echo.seen[0]?.authorization).toBe(`Bearer ${token.sent}`.trim());
        if (mode === 'running-then-result' || mode === 'escaped') expect(outcome.result).toBeDefined();
        else expect(outcome.error).toBeDefined();
        if (outcome.error !== undefined) expect(isPollTaskError(outcome.error)).toBe(true);

        expect(source.id).toBe(`${echo.url}/api/v2/tasks/1`);
        expectNowhere(showingsOf(outcome), [key.core, token.core, query, encodeURIComponent(query)]);
      }),
      { numRuns: 120 },
    );
  });

  it('keeps harmless header values: the rule does not redact what is not a secret', async () => {
    echo.reset('running-then-result');
    const outcome = await run(httpTask({ url: `${echo.url}/api/v2/tasks/1`, dialect: benchling, headers: { 'accept-language': 'en-GB-oxendict', 'x-auth-key': 'k-0123456789' } }), once());
    const raw = outcome.events[0]!.snapshot.raw as { headers: Record<string, string> };
    expect(raw.headers['accept-language']).toBe('en-GB-oxendict');
    expect(raw.headers['x-auth-key']).toBe('[redacted]');
  });

  it('a fetch whose error quotes a header value: the message and the whole cause chain are clean', async () => {
    await fc.assert(
      fc.asyncProperty(credential, fc.boolean(), async (key, aggregate) => {
        const quoting: Fetch = async (_url, init) => {
          const value = (init.headers as Record<string, string>)['x-access-key']!;
          const inner = Object.assign(new Error(`connect: refused for ${value}`), { code: 'ECONNREFUSED', header: value });
          throw new TypeError(`Headers.append: "${value}" is an invalid header value.`, { cause: aggregate ? new AggregateError([inner], `all of ${value} failed`) : inner });
        };
        const outcome = await run(httpTask({ url: `${echo.url}/api/v2/tasks/1`, dialect: benchling, fetch: quoting, headers: { 'x-access-key': key.sent } }), once());
        expect(outcome.error).toBeInstanceOf(TransportError);
        expect((outcome.error as TransportError).cause).toBeInstanceOf(Error);
        expectNowhere(showingsOf(outcome), [key.core]);
      }),
      { numRuns: 60 },
    );
  });

  it('the CLI prints no header value and no query value, whatever the service echoes, on a terminal or not', async () => {
    await fc.assert(
      fc.asyncProperty(credential, credential, fc.constantFrom(...modes), fc.boolean(), credential, async (key, fromEnv, mode, tty, query) => {
        echo.reset(mode);
        const fake = fakeIo({ POLL_TASK_HEADER_OCP_APIM_SUBSCRIPTION_KEY: fromEnv.sent }, tty);
        const url = `${echo.url}/api/v2/tasks/1?sig=${encodeURIComponent(query.core)}`;
        const code = await runCli(['watch', url, '--dialect', 'benchling', '--interval', '1ms', '--header', `X-Auth-Key: ${key.sent}`], fake.io);
        expect(code).toBe(mode === 'running-then-result' || mode === 'escaped' ? 0 : mode === 'failed' ? 1 : 4);
        expect(echo.seen[0]?.['ocp-apim-subscription-key']).toBe(fromEnv.sent.trim());
        expectNowhere([fake.out(), fake.err()], [key.core, fromEnv.core, query.core, encodeURIComponent(query.core)]);
      }),
      { numRuns: 40 },
    );
  });
});

describe('query strings stay out of what the library shows and keeps', () => {
  const echo = new EchoServer();
  beforeAll(() => echo.start());
  afterAll(() => echo.close());

  const queryValue = fc.string({ unit: fc.constantFrom(...'abcdefXYZ0123456789-_.~%/+=&é'), minLength: 8, maxLength: 40 }).filter((value) => new Set(value).size >= 4);

  it('the default task id is the status URL without its query and fragment', () => {
    fc.assert(
      fc.property(queryValue, fc.boolean(), (value, fragment) => {
        const url = `https://api.example.com/api/v2/tasks/t-1?${fragment ? '' : `token=${encodeURIComponent(value)}`}#${encodeURIComponent(value)}`;
        expect(httpTask({ url, dialect: benchling }).id).toBe('https://api.example.com/api/v2/tasks/t-1');
      }),
    );
    expect(httpTask({ url: 'https://api.example.com/tasks/x', dialect: benchling, id: 'mine' }).id).toBe('mine');
  });

  it('TransportError.url, its message and the snapshots carry no query value', async () => {
    await fc.assert(
      fc.asyncProperty(queryValue, fc.constantFrom<Mode>('status-401', 'status-500', 'running-then-result', 'failed'), async (value, mode) => {
        echo.reset(mode);
        const outcome = await run(httpTask({ url: `${echo.url}/api/v2/tasks/1?X-Amz-Signature=${encodeURIComponent(value)}`, dialect: benchling }), once());
        if (outcome.error instanceof TransportError) {
          expect(outcome.error.url).toBe(`${echo.url}/api/v2/tasks/1`);
          expect(outcome.error.message).toContain(`${echo.url}/api/v2/tasks/1?…`);
        }
        for (const event of outcome.events) expect(event.snapshot.taskId).toBe(`${echo.url}/api/v2/tasks/1`);
        expectNowhere(showingsOf(outcome), [value, encodeURIComponent(value)]);
      }),
      { numRuns: 40 },
    );
  });

  it('UnsafeUrlError names the refused URL without its query, given directly or by a redirect', async () => {
    fc.assert(
      fc.property(queryValue, (value) => {
        const error = (() => {
          try {
            httpTask({ url: `ftp://files.example.com/status?access_token=${encodeURIComponent(value)}`, dialect: benchling });
          } catch (caught) {
            return caught;
          }
          return undefined;
        })();
        expect(error).toBeInstanceOf(UnsafeUrlError);
        expect((error as UnsafeUrlError).url).toBe('ftp://files.example.com/status');
        expectNowhere(showingsOfError(error), [value, encodeURIComponent(value)]);
      }),
    );
    const away: Fetch = async () => new Response(null, { status: 302, headers: { location: 'https://elsewhere.example.com/collect?sig=s1gnature-0042' } });
    const outcome = await run(httpTask({ url: 'https://api.example.com/api/v2/tasks/1', dialect: benchling, fetch: away }), once());
    expect(outcome.error).toBeInstanceOf(UnsafeUrlError);
    expect((outcome.error as UnsafeUrlError).url).toBe('https://elsewhere.example.com/collect');
    expectNowhere(showingsOfError(outcome.error), ['s1gnature-0042']);
  });

  it('the CLI\'s JSON lines carry the task id without the query', async () => {
    echo.reset('running-then-result');
    const fake = fakeIo();
    expect(await runCli(['watch', `${echo.url}/api/v2/tasks/1?access_token=q-secret-0042`, '--dialect', 'benchling', '--interval', '1ms'], fake.io)).toBe(0);
    expect(fake.lines()[0]).toMatchObject({ taskId: `${echo.url}/api/v2/tasks/1` });
    expect(fake.out() + fake.err()).not.toContain('q-secret-0042');
  });
});

describe('userinfo stays out of what the library shows and keeps', () => {
  /**
   * A password as people write it into a URL, unencoded: with "/", "?", "#", "@" and ":" among its
   * characters, which also makes many such URLs unreadable to the URL parser.
   */
  const password = fc
    .string({ unit: fc.constantFrom(...'abcXYZ0189-_.~/?#@:!$&*+=% '), minLength: 8, maxLength: 24 })
    .filter((value) => value.trim() === value && new Set(value).size >= 4 && /[A-Za-z0-9]{2}/.test(value));
  const user = fc.constantFrom('user', 'svc-account', 'x');
  const rest = fc.constantFrom('api.example.com/api/v2/tasks/1', 'api.example.com:8443/t?sig=1', 'api.example.com', 'ho st.example/x');
  /**
   * `scheme//user:password@rest`. Left out: a password whose first "/", "?" or "#" comes after digits only,
   * which every URL parser (and so every client) reads as a port and a path, not as userinfo.
   */
  const url = fc
    .tuple(fc.constantFrom('https://', 'http://', 'ftp://', '//', ' https://'), user, password, rest)
    .filter(([, , secret]) => !/^[0-9]+[/?#]/.test(secret))
    .map(([scheme, name, secret, after]) => ({ secret, url: `${scheme}${name}:${secret}@${after}` }));

  /** The ways a URL's password could be written: as it is, and percent-encoded as the parser or a form would. */
  const formsOf = (secret: string): string[] => [secret, encodeURIComponent(secret), new URL(`https://h/?p=${encodeURIComponent(secret)}`).searchParams.toString().slice(2)];

  it('a URL with user:password@ is refused naming it without the password, however the password is written', () => {
    fc.assert(
      fc.property(url, fc.boolean(), ({ secret, url: given }, widened) => {
        let error: unknown;
        try {
          httpTask({ url: given, dialect: benchling, ...(widened ? { allowedOrigins: ['https://api.example.com'] } : {}) });
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(UnsafeUrlError);
        expectNowhere(showingsOfError(error), formsOf(secret));
      }),
      { numRuns: 300 },
    );
  });

  it('a redirect to such a URL is refused the same way, and TransportError.url drops it too', async () => {
    await fc.assert(
      fc.asyncProperty(url, async ({ secret, url: location }) => {
        const away: Fetch = async () => new Response(null, { status: 302, headers: { location: location.trim() } });
        const outcome = await run(httpTask({ url: 'https://api.example.com/api/v2/tasks/1', dialect: benchling, fetch: away }), once());
        expect(outcome.error).toBeInstanceOf(UnsafeUrlError);
        expectNowhere(showingsOfError(outcome.error), formsOf(secret));
        expectNowhere(showingsOfError(new TransportError('x', { retryable: false, url: location })), formsOf(secret));
      }),
      { numRuns: 100 },
    );
  });

  it('the CLI prints no password of a status URL', async () => {
    await fc.assert(
      fc.asyncProperty(url, async ({ secret, url: given }) => {
        const fake = fakeIo();
        expect(await runCli(['watch', given, '--dialect', 'benchling', '--interval', '1ms'], fake.io)).not.toBe(0);
        expectNowhere([fake.out(), fake.err()], formsOf(secret));
      }),
      { numRuns: 40 },
    );
  });
});

describe('a header value that cannot be sent is refused before anything is sent', () => {
  const echo = new EchoServer();
  beforeAll(() => echo.start());
  afterAll(() => echo.close());

  /** A credential with a control character but tab (CR, LF, NUL, ESC, DEL, VT…) or one beyond U+00FF somewhere in it. */
  const unsendable = fc
    .tuple(
      credential,
      fc.oneof(
        fc.constantFrom('\r', '\n', '\0', '\r\n', '\u20ac', '\u{1F600}', '\u0100', '\u001b[31m', '\u007f', '\u000b'),
        fc.integer({ min: 0, max: 0x1f }).filter((code) => code !== 9).map((code) => String.fromCharCode(code)),
      ),
      fc.nat(),
    )
    .map(([{ core }, bad, at]) => ({ core, sent: core.slice(0, at % core.length) + bad + core.slice(at % core.length) }));

  it('in an object of headers: a TypeError at once that names the header, never the value', () => {
    fc.assert(
      fc.property(headerName, unsendable, (name, value) => {
        let error: unknown;
        try {
          httpTask({ url: `${echo.url}/api/v2/tasks/1`, dialect: benchling, headers: { [name]: value.sent } });
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toContain(`header "${name}"`);
        expectNowhere(showingsOfError(error), [value.core.slice(0, 8), value.core.slice(-8)]);
      }),
    );
  });

  it('from a headers function: a non-retryable TransportError naming the header; nothing reaches the service and it is not asked again', async () => {
    await fc.assert(
      fc.asyncProperty(headerName, unsendable, async (name, value) => {
        echo.reset('running-then-result');
        let calls = 0;
        const source = httpTask({ url: `${echo.url}/api/v2/tasks/1`, dialect: benchling, headers: () => (++calls, { [name]: value.sent }) });
        const outcome = await run(source, withInterval(0, { maxConsecutiveErrors: 5 }));
        expect(outcome.error).toBeInstanceOf(TransportError);
        expect((outcome.error as TransportError).retryable).toBe(false);
        expect((outcome.error as TransportError).message).toContain(`header "${name}"`);
        expect(calls).toBe(1);
        expect(echo.seen).toHaveLength(0);
        expectNowhere(showingsOfError(outcome.error), [value.core.slice(0, 8), value.core.slice(-8)]);
      }),
      { numRuns: 60 },
    );
  });

  it('the CLI refuses such a header from the environment as a usage error that names it and prints no value', async () => {
    echo.reset('running-then-result');
    const fake = fakeIo({ POLL_TASK_HEADER_X_AUTH_KEY: 'abc-secret-0042\r\nx-injected: 1' });
    expect(await runCli(['watch', `${echo.url}/api/v2/tasks/1`, '--dialect', 'benchling'], fake.io)).toBe(2);
    expect(fake.err()).toContain('header "x-auth-key" holds a line break');
    expect(fake.out() + fake.err()).not.toContain('abc-secret-0042');
    expect(echo.seen).toHaveLength(0);
  });

  it.each([
    ['null', null, 'returned null, not an object of header values'],
    ['a string', 'Bearer abc', 'returned a string, not an object of header values'],
    ['a number value', { 'x-n': 7 }, 'header "x-n" must be a string, but was number'],
    ['a name that is not a token', { 'Authorization: Bearer abcdefgh': '' }, 'header name starting "Authorization" holds a character'],
  ])('from a headers function that gives %s: a non-retryable TransportError that says so', async (_what, given, said) => {
    echo.reset('running-then-result');
    const outcome = await run(httpTask({ url: `${echo.url}/api/v2/tasks/1`, dialect: benchling, headers: (() => given) as never }), once());
    expect(outcome.error).toBeInstanceOf(TransportError);
    expect((outcome.error as TransportError).retryable).toBe(false);
    expect((outcome.error as Error).message).toContain(`The headers function of this source ${said}`);
    expect((outcome.error as Error).message).not.toContain('abcdefgh');
    expect(echo.seen).toHaveLength(0);
  });
});

describe("the simulator's request log redacts by the transport's rule", () => {
  let sim: TaskServer;
  beforeAll(async () => {
    sim = await startTaskServer();
  });
  afterAll(() => sim.close());

  it('every value but a harmless header\'s is "[redacted]", whatever its name and length', async () => {
    const task = sim.create('benchling', { reads: 1000 });
    await fc.assert(
      fc.asyncProperty(headerName, fc.string({ unit: sendable, minLength: 1, maxLength: 20 }).filter((value) => value.trim() !== ''), fc.constantFrom(...harmlessHeaderNames), async (name, value, harmless) => {
        // fetch itself sets some harmless headers (host, connection, …): send the ones it lets a caller set.
        const settable = ['accept', 'accept-language', 'cache-control', 'x-request-id', 'traceparent', 'x-amz-date', 'if-none-match'];
        const shown = settable.includes(harmless) ? harmless : 'x-request-id';
        fc.pre(name.toLowerCase() !== shown);
        await fetch(task.url, { headers: { [name]: value, [shown]: 'visible-value' } });
        const logged = sim.requests.at(-1)!.headers;
        expect(logged[name.toLowerCase()]).toBe('[redacted]');
        expect(logged[shown]).toBe('visible-value');
      }),
      { numRuns: 60 },
    );
  });
});

describe('a URL refused by a service\'s builder', () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9]{12,24}$/);
  // URLs no parser reads (a bad port, a password with "/"), or of the wrong scheme, carrying a secret.
  const broken = (value: string) =>
    fc.constantFrom(
      `https://host.example:99999/v2/tasks/1?sig=${value}`,
      `ftp://host.example/v2/tasks/1?key=${value}`,
      `https://me:ab/${value}@host.example/v2/tasks/1`,
      `https://host.example:99999/x#access_token=${value}`,
      `https://me:${value}@host.example:99999/v2/tasks/1`,
    );

  it('never quotes its query, fragment or password, whether or not it parses', async () => {
    const { benchlingTask, evoJob, affinityTask, httpTask: anyTask, benchling: dialect } = await import('../../lib/http/index.js');
    const builders: Array<(url: string) => unknown> = [
      (url) => benchlingTask({ baseUrl: url, taskId: 't1' }),
      (url) => evoJob({ url }),
      (url) => affinityTask({ taskUrl: url }),
      (url) => anyTask({ url: 'https://host.example/t', dialect, allowedOrigins: [url] }),
    ];
    fc.assert(
      fc.property(secret.chain((value) => fc.tuple(fc.constant(value), broken(value))), fc.nat({ max: builders.length - 1 }), ([value, url], which) => {
        let thrown: unknown;
        try {
          builders[which]!(url);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(Error);
        expect(String(thrown)).not.toContain(value);
        expect(JSON.stringify(thrown)).not.toContain(value);
      }),
    );
  });
});
