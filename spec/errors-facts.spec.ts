// Errors state facts; the code that decides adds the decision. A transport error says what happened (method,
// URL without its query, status and the service's words, or the network failure or time limit) and never that
// it will be retried: the loop that gives up adds that, with `attempts`, through withDecision.
import { inspect } from 'node:util';
import fc from 'fast-check';
import { firstValueFrom, of } from 'rxjs';
import {
  AbortError,
  CancelUnsupportedError,
  DecodeError,
  PollingStoppedError,
  PollTaskError,
  SourceContractError,
  TaskCanceledError,
  TaskFailedError,
  TaskTimeoutError,
  TransportError,
  UnknownStatusError,
  UnsafeUrlError,
  isPollTaskError,
  pauseWhile,
  withBackoff,
  withDecision,
  withEta,
  withInterval,
  type PollStrategy,
} from '../lib/index.js';
import { benchling, httpTask, type Fetch } from '../lib/http/index.js';
import { redactError } from '../lib/util/redact.js';
import { runSteps, type Step } from './helpers/loops.js';
import { reading } from './helpers/readings.js';
import { newTestScheduler, type trackingScheduler } from './helpers/sources.js';

/** Words that promise what only the deciding code may say: that the request is, or will be, asked again. */
const promisesRetry = /\bwill be\b|\basked again\b|\bso the request\b|\bretr(?:y|ied|ies|ying)\b|\btry again\b/i;

const origin = 'https://api.example.com';
const path = '/v2/tasks/task-7';
/** The query may carry a signature: the message shows the URL without it. */
const query = '?signature=s1gn3d-qu3ry-v4lu3';

/** Words a service may send: from an alphabet that cannot spell a promise, so any promise found is ours. */
const serviceWords = fc.stringMatching(/^[0-9xqz ]{0,40}$/);

/** An error body as services send them: none, plain text, JSON with the usual fields. */
const body = fc.oneof(
  fc.constant(''),
  serviceWords,
  serviceWords.map((message) => JSON.stringify({ message })),
  serviceWords.map((detail) => JSON.stringify({ error: { message: detail } })),
);

/** A request that went wrong: an error status, a network failure, or no answer within the time limit. */
type Failure =
  | { readonly kind: 'status'; readonly status: number; readonly body: string }
  | { readonly kind: 'network'; readonly code: string; readonly reading: boolean }
  | { readonly kind: 'timeout'; readonly reading: boolean };

const statusFailure = (statuses: fc.Arbitrary<number>): fc.Arbitrary<Failure> =>
  fc.record({ kind: fc.constant('status' as const), status: statuses, body });
const networkFailure: fc.Arbitrary<Failure> = fc.record({
  kind: fc.constant('network' as const),
  code: fc.constantFrom('ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET'),
  reading: fc.boolean(),
});
const timeoutFailure: fc.Arbitrary<Failure> = fc.record({ kind: fc.constant('timeout' as const), reading: fc.boolean() });

/** Every 4xx and 5xx status. */
const errorStatus = fc.integer({ min: 400, max: 599 });
/** The statuses a request is retryable for. */
const retryableStatus = fc.constantFrom(408, 429, 500, 502, 503, 504);

const requestTimeoutMs = 50;

/** A fetch that fails as `failure` says: before an answer, or (`reading`) while the answer's body is read. */
function fetchFailing(failure: Failure): Fetch {
  return (_url, init) => {
    if (failure.kind === 'status') return Promise.resolve(new Response(failure.body, { status: failure.status }));
    const signal = init.signal!;
    const fail = (): Error =>
      failure.kind === 'network' ? Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket'), { code: failure.code }) }) : new DOMException('This operation was aborted', 'AbortError');
    // The failure comes now (a network error), or only when the request timeout aborts the request.
    const failed = (reject: (error: unknown) => void): void => {
      if (failure.kind === 'network') reject(fail());
      else signal.addEventListener('abort', () => reject(fail()), { once: true });
    };
    if (!failure.reading) return new Promise<Response>((_resolve, reject) => failed(reject));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"status":'));
      },
      pull: (controller) => new Promise<void>((_resolve, reject) => failed((error) => (controller.error(error), reject(error)))),
    });
    return Promise.resolve(new Response(stream, { status: 200, headers: { 'content-type': 'application/json' } }));
  };
}

/** The error one status request of an HTTP source ends with, when its fetch fails as `failure` says. */
async function transportErrorOf(failure: Failure): Promise<PollTaskError> {
  const source = httpTask({ url: `${origin}${path}${query}`, dialect: benchling, fetch: fetchFailing(failure), requestTimeoutMs });
  const read = firstValueFrom(source.read()).then(
    () => {
      throw new Error('the read succeeded');
    },
    (error: unknown) => error,
  );
  // A timeout needs its time to pass: on Jest's fake clock (the request deadline runs on the real timers).
  if (failure.kind === 'timeout') await jest.advanceTimersByTimeAsync(requestTimeoutMs);
  const error = await read;
  if (!isPollTaskError(error)) throw error;
  return error;
}

/** The facts a transport error's message states for `failure`. */
function expectFacts(error: PollTaskError, failure: Failure): void {
  expect(error).toBeInstanceOf(TransportError);
  const { message } = error;
  // The URL as safeUrl shows it: a query is marked, never shown.
  expect(message.startsWith(`GET ${origin}${path}?… `)).toBe(true);
  expect(message).not.toContain(query.slice(1));
  expect(message).not.toMatch(promisesRetry);
  expect(error.attempts).toBeUndefined();
  if (failure.kind === 'status') {
    expect(error).toMatchObject({ kind: 'transport', status: failure.status, url: `${origin}${path}` });
    expect(message).toContain(`answered ${failure.status}`);
  } else if (failure.kind === 'network') {
    expect(error).toMatchObject({ kind: 'transport', retryable: true, url: `${origin}${path}` });
    expect(message).toContain(failure.code);
  } else {
    expect(error).toMatchObject({ kind: 'transport', retryable: true, url: `${origin}${path}` });
    expect(message).toContain(`did not answer within ${requestTimeoutMs} ms`);
  }
}

describe('transport errors state facts', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('never say the request will be retried or asked again: every 4xx and 5xx, network failures, timeouts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(statusFailure(errorStatus), networkFailure, timeoutFailure), async (failure) => {
        expectFacts(await transportErrorOf(failure), failure);
      }),
      { numRuns: 300 },
    );
  });

  it('quote the status and the service words of every 4xx and 5xx, and still give advice that is not a retry', async () => {
    for (let status = 400; status <= 599; status++) {
      const error = await transportErrorOf({ kind: 'status', status, body: JSON.stringify({ message: 'xq 42' }) });
      expectFacts(error, { kind: 'status', status, body: '' });
      expect(error.message).toContain('(the service said: "xq 42")');
      expect((error as TransportError).retryable).toBe([408, 429, 500, 502, 503, 504].includes(status));
    }
    expect((await transportErrorOf({ kind: 'status', status: 401, body: '' })).message).toContain('check the credentials');
  });
});

/** The strategies, each with its scheduler, allowing `k` errors in a row; pauseWhile runs the loop as an operator. */
const strategies: Record<string, (k: number) => (scheduler: ReturnType<typeof trackingScheduler>) => PollStrategy<unknown>> = {
  withInterval: (k) => (scheduler) => withInterval(1, { maxConsecutiveErrors: k, scheduler }),
  withBackoff: (k) => (scheduler) => withBackoff({ initialDelayMs: 1, maxDelayMs: 8, jitter: 0, maxConsecutiveErrors: k, scheduler }),
  withEta: (k) => (scheduler) => withEta({ minDelayMs: 1, maxDelayMs: 1, initialDelayMs: 1, maxConsecutiveErrors: k, scheduler }),
  'pauseWhile(withInterval)': (k) => (scheduler) => pauseWhile(of(false), withInterval(1, { maxConsecutiveErrors: k, scheduler })),
};

describe('the loop adds its decision', () => {
  const gaveUp = (n: number, k: number): string => `Gave up after ${n} failed ${n === 1 ? 'request' : 'requests in a row'} (maxConsecutiveErrors: ${k}).`;

  it('a wait ended by maxConsecutiveErrors: k ends with the last error, same class, kind, status and url, attempts k + 1, saying it gave up', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5 }),
        fc.oneof(statusFailure(retryableStatus), networkFailure),
        fc.constantFrom(...Object.keys(strategies)),
        fc.array(fc.nat({ max: 5 }), { maxLength: 3 }),
        async (k, failure, which, runs) => {
          const last = await transportErrorOf(failure);
          const facts = last.message;
          // Runs of at most k failures first, each ended by a reading (which starts the count again), then k + 1 in a row.
          const before = runs.flatMap((run): Step[] => [...Array<Error>(Math.min(run, k)).fill(last), reading.running()]);
          const steps: Step[] = [...before, reading.running(), ...Array<Error>(k + 1).fill(last), reading.succeeded()];
          const out = runSteps(newTestScheduler(), steps, strategies[which]!(k));
          const error = out.error as TransportError;
          expect(error).toBeInstanceOf(TransportError);
          expect(error).not.toBe(last);
          expect(isPollTaskError(error)).toBe(true);
          expect(error).toMatchObject({ name: 'TransportError', kind: 'transport', retryable: true, url: (last as TransportError).url, attempts: k + 1, taskId: last.taskId });
          expect(error.status).toBe((last as TransportError).status);
          expect(error.cause).toBe(last.cause);
          expect(error.message).toBe(`${facts} ${gaveUp(k + 1, k)}`);
          expect(out.reads).toBe(steps.length - 1);
          // The error the source raised is left as it was.
          expect(last.message).toBe(facts);
          expect(last.attempts).toBeUndefined();
        },
      ),
      { numRuns: 120 },
    );
  });

  it('a wait retried and then answered emits no error', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.nat({ max: 5 }), fc.constantFrom(...Object.keys(strategies)), (k, run, which) => {
        const failures = Math.min(run, k);
        const error = new TransportError('GET https://api.example.com/t answered 503.', { status: 503, retryable: true });
        const steps: Step[] = [...Array<Error>(failures).fill(error), reading.running(), ...Array<Error>(failures).fill(error), reading.succeeded()];
        const out = runSteps(newTestScheduler(), steps, strategies[which]!(k));
        expect(out.error).toBeUndefined();
        expect(out.completed).toBe(true);
        expect(out.reads).toBe(steps.length);
        expect(error.attempts).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it('an error that is not retried ends the wait as it is: no decision, no attempts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 400, max: 499 }).filter((s) => s !== 408 && s !== 429), fc.constantFrom(...Object.keys(strategies)), (k, status, which) => {
        const refused = new TransportError(`GET https://api.example.com/t answered ${status}.`, { status, retryable: false });
        const out = runSteps(newTestScheduler(), [reading.running(), refused, reading.succeeded()], strategies[which]!(k));
        expect(out.error).toBe(refused);
        expect(refused.attempts).toBeUndefined();
        expect(refused.message).toBe(`GET https://api.example.com/t answered ${status}.`);
      }),
      { numRuns: 100 },
    );
  });
});

describe('withDecision', () => {
  const snapshot = { taskId: 'job-1', runStatus: 'failed' as const, vendorStatus: 'FAILED', polls: 3, elapsedMs: 1200, raw: {} };
  const cause = new Error('ECONNRESET');
  const errors: Array<[string, PollTaskError]> = [
    ['TaskFailedError', new TaskFailedError(snapshot, { code: 'X', message: 'disk full' })],
    ['TaskCanceledError', new TaskCanceledError(snapshot)],
    ['TaskTimeoutError', new TaskTimeoutError(100, 101, snapshot)],
    ['TransportError', new TransportError('GET https://h/t answered 503.', { status: 503, url: 'https://h/t?q=1', retryable: true, retryAfterMs: 20, cause, taskId: 'job-1' })],
    ['DecodeError', new DecodeError('bad', ['a: wrong'], { cause })],
    ['UnknownStatusError', new UnknownStatusError('FROZEN', { raw: { s: 'FROZEN' } })],
    ['PollingStoppedError', new PollingStoppedError(snapshot)],
    ['SourceContractError', new SourceContractError('read() completed without a reading.')],
    ['CancelUnsupportedError', new CancelUnsupportedError('job-1')],
    ['AbortError', new AbortError('left')],
    ['UnsafeUrlError', new UnsafeUrlError('ftp://h/x', 'not http.')],
  ];

  it.each(errors)('copies a %s: same class, kind, fields, cause and stack frames; the decision at the end of the message', (name, error) => {
    const before = { message: error.message, stack: error.stack, keys: Reflect.ownKeys(error) };
    const decided = withDecision(error, { attempts: 4, text: 'Gave up after 4 tries.' });
    expect(decided).not.toBe(error);
    expect(Object.getPrototypeOf(decided)).toBe(Object.getPrototypeOf(error));
    expect(decided.name).toBe(name);
    expect(isPollTaskError(decided)).toBe(true);
    expect(decided.message).toBe(`${error.message} Gave up after 4 tries.`);
    expect(decided.attempts).toBe(4);
    for (const key of Reflect.ownKeys(error)) {
      if (key === 'message' || key === 'stack') continue;
      expect(Object.getOwnPropertyDescriptor(decided, key)).toEqual(Object.getOwnPropertyDescriptor(error, key));
    }
    expect(decided.cause).toBe(error.cause);
    // The same frames, under the new first line: what console.error prints says the decision too.
    expect(decided.stack).toBe(`${name}: ${decided.message}${error.stack!.slice(`${name}: ${error.message}`.length)}`);
    expect(inspect(decided)).toContain('Gave up after 4 tries.');
    // The original is untouched.
    expect({ message: error.message, stack: error.stack, keys: Reflect.ownKeys(error) }).toEqual(before);
    expect(error.attempts).toBeUndefined();
  });

  it('keeps a copy clean: redacting finds nothing in the copy of a clean error, and still finds a secret in a copy', () => {
    const secrets = ['Bearer s3cr3t-t0k3n-v4lu3', 's3cr3t-t0k3n-v4lu3'];
    for (const [, error] of errors) {
      const decided = withDecision(error, { attempts: 2, text: 'Gave up after 2 failed requests in a row (maxConsecutiveErrors: 1).' });
      expect(decided.attempts).toBe(2);
      expect(redactError(decided, secrets)).toBe(decided);
    }
    // What redaction relies on holds for the copy: every field of it is seen, so a secret in one is scrubbed.
    const leaky = new TransportError('GET https://h/t failed (ECONNRESET).', { retryable: true, cause: new Error(`sent ${secrets[0]}`) });
    const decided = withDecision(leaky, { attempts: 3, text: 'Gave up after 3 failed requests in a row (maxConsecutiveErrors: 2).' });
    const scrubbed = redactError(decided, secrets);
    expect(scrubbed).not.toBe(decided);
    expect(inspect(scrubbed, { depth: 5 })).not.toContain(secrets[1]);
    expect(inspect(scrubbed, { depth: 5 })).toContain('Gave up after 3 failed requests in a row');
  });

  it('states the last decision: a second one replaces attempts and adds its sentence', () => {
    const error = new TransportError('GET https://h/t answered 502.', { status: 502, retryable: true });
    const twice = withDecision(withDecision(error, { attempts: 3, text: 'First.' }), { attempts: 5, text: 'Second.' });
    expect(twice).toMatchObject({ attempts: 5, message: 'GET https://h/t answered 502. First. Second.', status: 502 });
  });

  it('returns anything that is not a PollTaskError as it is', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string().map((m) => new Error(m)), fc.string().map((m) => new TypeError(m))), (value) => {
        expect(withDecision(value, { attempts: 1, text: 'Gave up.' })).toBe(value);
        if (value instanceof Error) expect((value as { attempts?: unknown }).attempts).toBeUndefined();
      }),
    );
  });

  it('refuses a decision without a whole number of attempts of at least 1, or without a sentence', () => {
    const error = new TransportError('x', { retryable: true });
    for (const [attempts, shown] of [[0, '0'], [-1, '-1'], [1.5, '1.5'], [NaN, 'NaN'], [Infinity, 'Infinity'], ['3', '"3"'], [undefined, 'undefined']] as const) {
      expect(() => withDecision(error, { attempts: attempts as number, text: 'Gave up.' })).toThrow(
        new TypeError(`withDecision: option "attempts" must be a whole number of at least 1, but was ${shown}.`),
      );
    }
    for (const [text, shown] of [['', '""'], ['  ', '"  "'], [undefined, 'undefined'], [3, '3']] as const) {
      expect(() => withDecision(error, { attempts: 1, text: text as string })).toThrow(
        new TypeError(`withDecision: option "text" must be a sentence (a non-empty string), but was ${shown}.`),
      );
    }
  });
});
