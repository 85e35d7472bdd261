// Bad bodies end as typed errors: JSON nested from 1 to 100,000 levels deep and megabytes of service text, in
// every place a service (or a tampered token) can put them, end as the documented PollTaskError with a short
// message, or as a normal reading when they are within the limits. Never a RangeError, never a crash.
import fc from 'fast-check';
import * as t from 'io-ts';
import crossFetch from 'cross-fetch';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGzip, gzipSync } from 'node:zlib';
import { isPollTaskError, pollTask$, taskSource, withInterval, type PollTaskErrorKind, type TaskEvent, type TaskSource } from '../../lib/index.js';
import { benchling, deepint, defineDialect, evo, httpTask, resumeTask$, type Dialect, type Fetch } from '../../lib/http/index.js';
import { jsonDialect } from '../../lib/cli/json-dialect.js';
import { QUOTE_CHARS, URL_CHARS } from '../../lib/util/excerpt.js';
import { MAX_JSON_DEPTH } from '../../lib/util/json-depth.js';
import { startRawServer, type RawServer } from '../helpers/raw-server.js';
import { until } from '../helpers/sim.js';

/**
 * The longest message any of these errors may have, whatever the body: the fixed text, the URL, the codec's
 * name and at most three quotes of QUOTE_CHARS (a value, a key and an excerpt of the body).
 */
const MESSAGE_CHARS = 1500;

type Shape = 'array' | 'object' | 'mixed';

/** JSON of `depth` levels of arrays, objects or both in turn, around `core`: `[[0]]` is two levels. */
function nested(depth: number, shape: Shape, core = '0'): string {
  if (shape === 'array') return `${'['.repeat(depth)}${core}${']'.repeat(depth)}`;
  if (shape === 'object') return `${'{"a":'.repeat(depth)}${core}${'}'.repeat(depth)}`;
  const pairs = Math.floor(depth / 2);
  const odd = depth % 2 === 1;
  return `${odd ? '[' : ''}${'[{"a":'.repeat(pairs)}${core}${'}]'.repeat(pairs)}${odd ? ']' : ''}`;
}

// Depths across the whole class, with the edges of the limit and of V8's stack always among them.
const depths = fc.oneof(
  fc.integer({ min: 1, max: 100_000 }),
  fc.integer({ min: 1, max: 2 * MAX_JSON_DEPTH }),
  fc.constantFrom(1, MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 3_000, 10_000, 100_000),
);
const shapes = fc.constantFrom<Shape>('array', 'object', 'mixed');
// Lengths of service text, from a word to two megabytes.
const lengths = fc.oneof(fc.integer({ min: 0, max: 2_000_000 }), fc.constantFrom(0, 1, QUOTE_CHARS, QUOTE_CHARS + 1, 1_000_000));
// Drawn as a length and a unit, so that a counterexample prints short.
const texts = fc.tuple(lengths, fc.constantFrom('x', 'é', '😀', ' \n', '"\\'));
const text = ([length, unit]: [number, string]): string => unit.repeat(Math.ceil(length / unit.length));

/** A recursive result codec, as an app with tree-shaped results would write. */
type Tree = number | Tree[] | { [key: string]: Tree };
const Tree: t.Type<Tree> = t.recursion('Tree', () => t.union([t.number, t.array(Tree), t.record(t.string, Tree)]));

interface Outcome {
  readonly event?: TaskEvent<unknown>;
  readonly error?: unknown;
}

/** The first thing a wait on `source` says: its first event, or its error. Errors are not retried. */
function firstOutcome(source: TaskSource<unknown>): Promise<Outcome> {
  return new Promise((resolve) => {
    const subscription = pollTask$(source, withInterval(0, { maxConsecutiveErrors: 0 })).subscribe({
      next: (event) => {
        resolve({ event });
        queueMicrotask(() => subscription.unsubscribe());
      },
      error: (error: unknown) => resolve({ error }),
    });
  });
}

/** Checks that `error` is a PollTaskError of `kind` whose message (and issues, for a DecodeError) are short. */
function expectTyped(error: unknown, kind: PollTaskErrorKind, longest = MESSAGE_CHARS): void {
  expect(isPollTaskError(error)).toBe(true);
  // The message is compared clipped: a failing case should not print a megabyte.
  expect({ kind: (error as { kind: string }).kind, message: (error as Error).message.slice(0, 400) }).toEqual({ kind, message: expect.any(String) });
  expect((error as Error).message.length).toBeLessThanOrEqual(longest);
  for (const issue of (error as { issues?: readonly string[] }).issues ?? []) expect(issue.length).toBeLessThanOrEqual(MESSAGE_CHARS);
}

describe('bad bodies', () => {
  let server: RawServer;
  let body = '';
  let status = 200;
  let resultBody = '';
  beforeAll(async () => {
    server = await startRawServer((_method, path) => (path.endsWith('/status') || path.startsWith('/tasks') ? { status, body } : { status: 200, body: resultBody }));
  });
  afterAll(() => server.close());

  const source = (dialect: Dialect, result?: t.Decoder<unknown, unknown>): TaskSource<unknown> =>
    httpTask({
      url: dialect === evo ? `${server.url}/compute/orgs/o/geo/krig/j1/status` : `${server.url}/tasks/1`,
      dialect,
      ...(result === undefined ? {} : { result }),
    });

  describe(`JSON nested 1 to 100,000 levels deep ends as a DecodeError beyond ${MAX_JSON_DEPTH} levels`, () => {
    it('in a status answer: a reading within the limit, a DecodeError beyond', async () => {
      await fc.assert(
        fc.asyncProperty(depths, shapes, async (depth, shape) => {
          status = 200;
          body = `{"status":"RUNNING","extra":${nested(depth, shape)}}`;
          const outcome = await firstOutcome(source(benchling));
          if (depth + 1 <= MAX_JSON_DEPTH) expect(outcome.event?.snapshot.runStatus).toBe('running');
          else expectTyped(outcome.error, 'decode');
        }),
        { numRuns: 60 },
      );
    });

    it('as a whole status answer, or as the status word', async () => {
      // The command's --dialect json takes any body and looks for the word where it is told.
      const anyApi = jsonDialect({ statusPath: 'status', statusMap: 'RUNNING=running', progressScale: 100 });
      await fc.assert(
        fc.asyncProperty(depths, shapes, fc.boolean(), async (depth, shape, asWord) => {
          status = 200;
          body = asWord ? `{"status":${nested(depth, shape)}}` : nested(depth, shape);
          expectTyped((await firstOutcome(source(benchling))).error, 'decode');
          const { error } = await firstOutcome(httpTask({ url: `${server.url}/tasks/2`, dialect: anyApi }));
          expectTyped(error, depth + (asWord ? 1 : 0) <= MAX_JSON_DEPTH ? 'unknown-status' : 'decode');
        }),
        { numRuns: 60 },
      );
    });

    it('in an error answer: a TransportError that quotes the service clipped', async () => {
      await fc.assert(
        fc.asyncProperty(depths, shapes, fc.constantFrom(400, 401, 404, 500, 503), fc.boolean(), async (depth, shape, code, inMessage) => {
          status = code;
          body = inMessage ? `{"message":${nested(depth, shape)}}` : nested(depth, shape);
          const { error } = await firstOutcome(source(benchling));
          expectTyped(error, 'transport');
          expect((error as { status?: number }).status).toBe(code);
        }),
        { numRuns: 60 },
      );
    });

    it('in a result, inline or fetched, checked by a recursive codec: the result within the limit, a DecodeError beyond', async () => {
      await fc.assert(
        fc.asyncProperty(depths, shapes, fc.boolean(), async (depth, shape, fetched) => {
          status = 200;
          let outcome: Outcome;
          if (fetched) {
            body = '{"status":"succeeded"}';
            resultBody = `{"results":${nested(depth, shape)}}`;
            outcome = await firstOutcome(source(evo, Tree));
          } else {
            body = `{"status":"SUCCEEDED","response":${nested(depth, shape)}}`;
            outcome = await firstOutcome(source(benchling, Tree));
          }
          if (depth + 1 <= MAX_JSON_DEPTH) expect(outcome.event?.type).toBe('result');
          else expectTyped(outcome.error, 'decode');
        }),
        { numRuns: 60 },
      );
    });

    it('in a resume token', () => {
      fc.assert(
        fc.property(depths, shapes, fc.constantFrom('whole', 'version', 'url', 'dialect'), (depth, shape, where) => {
          const deep = nested(depth, shape);
          const token =
            where === 'whole'
              ? deep
              : JSON.stringify({ pollTask: 'resume', v: 1, dialect: 'Benchling', url: `${server.url}/tasks/1`, startedAt: 0, deadline: null, polls: 0 }).replace(
                  where === 'version' ? '"v":1' : where === 'url' ? `"url":"${server.url}/tasks/1"` : '"dialect":"Benchling"',
                  `"${where === 'version' ? 'v' : where}":${deep}`,
                );
          let thrown: unknown;
          try {
            resumeTask$(token, { allowedOrigins: [server.url] });
          } catch (error) {
            thrown = error;
          }
          expectTyped(thrown, 'decode');
        }),
        { numRuns: 100 },
      );
    });

    it('in a result a plain-JS source hands over, checked by a recursive codec: a DecodeError, the RangeError its cause', async () => {
      // A codec that recurses as deep as the value goes; a plain-JS source's result never went through a body's limit.
      type Nested = Nested[];
      const Nested: t.Type<Nested> = t.recursion('Nested', () => t.array(Nested));
      const resultOf = (result: unknown) => taskSource({ id: 'plain', read: async () => ({ runStatus: 'succeeded' as const, vendorStatus: 'done', result, raw: null }), resultCodec: Nested });
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.constant(100_000)), async (depth) => {
          const outcome = await firstOutcome(resultOf(JSON.parse(nested(depth, 'array', '')) as unknown));
          if (outcome.event !== undefined) {
            expect(outcome.event.type).toBe('result');
          } else {
            expectTyped(outcome.error, 'decode');
            expect((outcome.error as Error).cause).toBeInstanceOf(RangeError);
          }
        }),
        { numRuns: 10 },
      );
      const { error } = await firstOutcome(resultOf(JSON.parse(nested(100_000, 'array', '')) as unknown));
      expectTyped(error, 'decode');
    });

    it('as the runStatus of a plain-JS source: an UnknownStatusError', async () => {
      await fc.assert(
        fc.asyncProperty(depths, shapes, async (depth, shape) => {
          const runStatus = JSON.parse(nested(depth, shape)) as never;
          const plain = taskSource({ id: 'plain', read: async () => ({ runStatus, raw: null }) as never });
          expectTyped((await firstOutcome(plain)).error, 'unknown-status');
        }),
        { numRuns: 30 },
      );
    });
  });

  describe(`service text is quoted at most ${QUOTE_CHARS} characters long, whatever its length`, () => {
    it('a status word: an UnknownStatusError that keeps the word whole', async () => {
      await fc.assert(
        fc.asyncProperty(texts, async (drawn) => {
          const word = text(drawn);
          status = 200;
          body = JSON.stringify({ status: `?${word}` });
          const { error } = await firstOutcome(source(benchling));
          expectTyped(error, 'unknown-status');
          expect((error as { vendorStatus: string }).vendorStatus).toBe(`?${word}`);
        }),
        { numRuns: 40 },
      );
    });

    it('a failure message and code: a TaskFailedError that keeps them whole in error.failure', async () => {
      await fc.assert(
        fc.asyncProperty(texts, texts, fc.constantFrom(benchling, evo, deepint), async (drawnMessage, drawnCode, dialect) => {
          const [message, code] = [text(drawnMessage), text(drawnCode)];
          status = 200;
          body = JSON.stringify(
            dialect === benchling
              ? { status: 'FAILED', message }
              : dialect === evo
                ? { status: 'failed', error: { type: code, detail: message } }
                : { status: 'failed', error_code: code, error_description: message },
          );
          const { error } = await firstOutcome(source(dialect));
          expectTyped(error, 'task-failed');
          expect((error as { failure: { message?: string } }).failure.message).toBe(message);
        }),
        { numRuns: 40 },
      );
    });

    it('an error answer\'s text, JSON or not: a TransportError', async () => {
      await fc.assert(
        fc.asyncProperty(texts, fc.constantFrom(400, 403, 404, 503), fc.boolean(), async (drawn, code, asJson) => {
          status = code;
          body = asJson ? JSON.stringify({ error: { message: text(drawn) } }) : text(drawn);
          expectTyped((await firstOutcome(source(benchling))).error, 'transport');
        }),
        { numRuns: 40 },
      );
    });

    it('a resume token\'s fields: a DecodeError, or an UnsafeUrlError that quotes a URL of up to 8192 characters up to the longest real one', () => {
      fc.assert(
        fc.property(texts, fc.constantFrom('dialect', 'v', 'url'), (drawn, field) => {
          const long = text(drawn);
          const fields = { pollTask: 'resume', v: 1, dialect: 'Benchling', url: `${server.url}/tasks/1`, startedAt: 0, deadline: null, polls: 0 };
          const token = JSON.stringify({ ...fields, [field]: field === 'url' ? `https://elsewhere.example/${long}` : `?${long}` });
          let thrown: unknown;
          try {
            resumeTask$(token, { allowedOrigins: [server.url] });
          } catch (error) {
            thrown = error;
          }
          // A URL a token may hold (8192 characters at most) is checked for its origin; a longer one is refused as it is read.
          if (field === 'url' && `https://elsewhere.example/${long}`.length <= 8192) expectTyped(thrown, 'unsafe-url', MESSAGE_CHARS + URL_CHARS);
          else if (field === 'url') expectTyped(thrown, 'decode');
          else expectTyped(thrown, 'decode');
        }),
        { numRuns: 40 },
      );
    });

    it('a body that is not JSON, or of the wrong shape: a DecodeError whose issues are short too', async () => {
      // A codec with a record in it names the service's keys in its issue lines.
      const counted = defineDialect({
        name: 'Counted',
        status: t.type({ status: t.string, counts: t.record(t.string, t.number) }),
        toReading: (answer) => ({ runStatus: 'running', vendorStatus: answer.status }),
      });
      await fc.assert(
        fc.asyncProperty(texts, fc.constantFrom('not-json', 'wrong-type', 'wrong-key'), async (drawn, how) => {
          const long = text(drawn);
          status = 200;
          body = how === 'not-json' ? `<html>${long}` : how === 'wrong-type' ? JSON.stringify({ status: [long] }) : JSON.stringify({ status: 'RUNNING', counts: { [`k${long}`]: long } });
          expectTyped((await firstOutcome(source(how === 'wrong-key' ? counted : benchling))).error, 'decode');
        }),
        { numRuns: 40 },
      );
    });
  });
});

describe('an answer is read up to maxBodyBytes, and no further', () => {
  /** How the body comes: with its length, chunked, gzip-compressed (a bomb, when it is large), or without end. */
  type Delivery = 'declared' | 'chunked' | 'gzip' | 'endless' | 'endless-gzip';
  let server: Server;
  let base = '';
  let answer: (response: ServerResponse) => void = () => undefined;
  /** Connections of answers without end that closed: the client stopped reading them. */
  let closedEndless = 0;
  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      answer(response);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  /** A status answer of exactly `bytes` bytes (at least 40): JSON, padded with spaces that JSON allows. */
  const statusOf = (bytes: number): string => '{"status":"RUNNING"}'.padEnd(bytes, ' ');

  /** Writes spaces for ever (after the start of a status answer), until the client goes away. */
  function writeForever(response: ServerResponse, into: NodeJS.WritableStream): void {
    response.on('close', () => closedEndless++);
    into.write('{"status":"RUNNING"');
    const block = ' '.repeat(16 * 1024);
    const more = (): void => {
      while (!response.destroyed && into.write(block));
      if (!response.destroyed) into.once('drain', more);
    };
    more();
  }

  function serve(delivery: Delivery, bytes: number): void {
    answer = (response) => {
      if (delivery === 'declared') {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes });
        response.end(statusOf(bytes));
      } else if (delivery === 'chunked') {
        response.writeHead(200, { 'content-type': 'application/json' });
        const body = statusOf(bytes);
        for (let at = 0; at < body.length; at += 1000) response.write(body.slice(at, at + 1000));
        response.end();
      } else if (delivery === 'gzip') {
        const zipped = gzipSync(statusOf(bytes));
        response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': zipped.byteLength });
        response.end(zipped);
      } else if (delivery === 'endless') {
        response.writeHead(200, { 'content-type': 'application/json' });
        writeForever(response, response);
      } else {
        response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        const gzip = createGzip();
        gzip.pipe(response);
        writeForever(response, gzip);
      }
    };
  }

  it('reads a body of up to maxBodyBytes whole and refuses a larger one with a DecodeError, however it comes, ending an endless one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 64, max: 256 * 1024 }),
        fc.oneof(fc.integer({ min: -24, max: 24 }), fc.integer({ min: 1, max: 4 * 1024 * 1024 })),
        fc.constantFrom<Delivery>('declared', 'chunked', 'gzip', 'endless', 'endless-gzip'),
        fc.constantFrom('platform', 'cross-fetch'),
        async (limit, over, delivery, which) => {
          const bytes = Math.max(40, limit + over);
          const endless = delivery.startsWith('endless');
          serve(delivery, bytes);
          const closedBefore = closedEndless;
          const source = httpTask({
            url: `${base}/tasks/1`,
            dialect: benchling,
            maxBodyBytes: limit,
            // Well past the time a read within the limit takes: an answer read to its end would run into it.
            requestTimeoutMs: 5000,
            ...(which === 'cross-fetch' ? { fetch: crossFetch as Fetch } : {}),
          });
          const outcome = await firstOutcome(source);
          if (!endless && bytes <= limit) {
            expect(outcome.error).toBeUndefined();
            expect(outcome.event?.snapshot.runStatus).toBe('running');
            return;
          }
          expectTyped(outcome.error, 'decode');
          expect((outcome.error as Error).message).toContain(`limit ${limit} bytes`);
          // The connection of an answer without end is closed, not read on in the background.
          if (endless) await until(() => closedEndless > closedBefore, 'the endless answer\'s connection to close');
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});


describe('an answer whose body is not what its content-encoding says', () => {
  let server: Server;
  let base = '';
  let body = '';
  let encoding = 'gzip';
  let requests = 0;
  beforeAll(async () => {
    server = createServer((request, response) => {
      requests++;
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding });
      response.end(body);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  it('ends the wait at once with a DecodeError, over both fetches: asking again would not change it', async () => {
    await fc.assert(
      // gzip: a body that does not start as gzip data does is told apart from one cut short (Z_DATA_ERROR, not
      // Z_BUF_ERROR, which a cut body gives too and which is asked again). A JSON text never starts as gzip.
      // (Two bytes at least: zlib reads gzip's two-byte mark before it can tell; a one-byte body is cut short.)
      fc.asyncProperty(fc.json().filter((text) => text.length >= 2), fc.constantFrom('gzip', 'x-gzip'), fc.constantFrom('platform', 'cross-fetch'), async (json, said, which) => {
        body = json;
        encoding = said;
        requests = 0;
        const source = httpTask({ url: `${base}/tasks/1`, dialect: benchling, ...(which === 'cross-fetch' ? { fetch: crossFetch as Fetch } : {}) });
        const outcome = await firstOutcome(source);
        // A DecodeError, not a retryable TransportError.
        expectTyped(outcome.error, 'decode');
        expect((outcome.error as Error).message).toContain(`says content-encoding ${said}, but its body is not such data`);
        expect(requests).toBe(1);
      }),
      { numRuns: 200 },
    );
  });
});
