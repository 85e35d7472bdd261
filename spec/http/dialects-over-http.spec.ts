import * as t from 'io-ts';
import { repeat, take, tap, type Observable } from 'rxjs';
import {
  DecodeError,
  TaskCanceledError,
  TaskFailedError,
  TransportError,
  UnknownStatusError,
  UnsafeUrlError,
  cancelOnUnsubscribe,
  pollTask$,
  withInterval,
  type TaskReading,
} from '../../lib/index.js';
import { affinity, benchling, deadline, deepint, evo, httpTask, type Dialect, type Fetch } from '../../lib/http/index.js';
import { startTaskServer, type SimDialect, type SimTask, type TaskServer } from '../../lib/testing/index.js';
import { dialects, run, sourceFor, until } from '../helpers/sim.js';

const dialectOf: Record<SimDialect, Dialect> = { benchling, affinity, evo, deepint, deadline };

/** What each dialect reports for a task of 3 reads with subtasks "load" and "fit". */
const progressOf: Record<SimDialect, { words: string[]; progress: (number | undefined)[]; detail: (string | undefined)[] }> = {
  benchling: { words: ['RUNNING', 'RUNNING', 'SUCCEEDED'], progress: [undefined, undefined, undefined], detail: [undefined, undefined, undefined] },
  affinity: { words: ['pending', 'in-progress', 'success'], progress: [0, 0.5, 1], detail: [undefined, undefined, undefined] },
  evo: { words: ['requested', 'in progress', 'succeeded'], progress: [0, 0.5, 1], detail: ['load', 'fit', 'fit'] },
  deepint: { words: ['pending', 'running', 'success'], progress: [0, 0.5, 1], detail: ['load', 'fit', 'fit'] },
  deadline: { words: ['READY', 'RUNNING', 'SUCCEEDED'], progress: [undefined, undefined, undefined], detail: [undefined, undefined, undefined] },
};

/** A codec for each dialect's result, and what the simulator sends for a task of spec.result { rows: 3 }. */
const resultOf: Record<SimDialect, { codec: t.Mixed; expected: (task: SimTask) => unknown }> = {
  benchling: { codec: t.type({ rows: t.number }), expected: () => ({ rows: 3 }) },
  affinity: { codec: t.type({ id: t.string, status: t.literal('success') }), expected: (task) => expect.objectContaining({ id: task.id, status: 'success' }) },
  evo: { codec: t.type({ rows: t.number }), expected: () => ({ rows: 3 }) },
  deepint: { codec: t.type({ source: t.string }), expected: (task) => ({ source: `src-${task.id}` }) },
  deadline: { codec: t.type({ taskId: t.string, runStatus: t.literal('SUCCEEDED') }), expected: (task) => expect.objectContaining({ taskId: task.id, runStatus: 'SUCCEEDED' }) },
};

/** The failure each dialect reports for failure { code: 'E42', message: 'Boom' }. */
const failureOf: Record<SimDialect, unknown> = {
  benchling: { message: 'Boom', details: [{ message: 'Boom', code: 'E42' }] },
  affinity: { message: 'Affinity reports the merge task failed', details: expect.objectContaining({ status: 'failed' }) },
  evo: { code: 'E42', message: 'Boom', details: { status: 500, type: 'E42', title: 'Job failed', detail: 'Boom' } },
  deepint: { code: 'E42', message: 'Boom' },
  deadline: { code: 'FAILED', message: 'Deadline Cloud reports the task FAILED after 2 retries; see its session logs', details: { failureRetryCount: 2 } },
};

/** The cancel request and the words on the way to canceled, for the dialects that can cancel. */
const cancelOf: Partial<Record<SimDialect, { method: string; words: string[] }>> = {
  evo: { method: 'DELETE', words: ['cancelling', 'cancelled'] },
  deadline: { method: 'PATCH', words: ['INTERRUPTING', 'CANCELED'] },
};

const once = withInterval(0, { maxConsecutiveErrors: 0 });

describe.each(dialects)('the %s dialect over HTTP', (dialect) => {
  let sim: TaskServer;
  beforeEach(async () => {
    sim = await startTaskServer();
  });
  afterEach(() => sim.close());

  const statusRequests = (task: SimTask) => sim.requests.filter((r) => r.method === 'GET' && r.path === new URL(task.url).pathname);

  it('reports progress in the vendor\'s words and ends with the typed result', async () => {
    const task = sim.create(dialect, { reads: 3, subtasks: ['load', 'fit'], result: { rows: 3 } });
    const outcome = await run(sourceFor(task, { result: resultOf[dialect].codec }));
    expect(outcome.error).toBeUndefined();
    const expected = progressOf[dialect];
    expect(outcome.events.map((e) => e.snapshot.vendorStatus)).toEqual(expected.words);
    expect(outcome.events.map((e) => e.snapshot.progress)).toEqual(expected.progress);
    expect(outcome.events.map((e) => e.snapshot.subtask ?? e.snapshot.message)).toEqual(expected.detail);
    expect(outcome.result).toEqual(resultOf[dialect].expected(task));
    expect(outcome.events.at(-1)?.snapshot.raw).toEqual(expect.objectContaining({}));
  });

  it('errors with a DecodeError, emitting no result, when the result does not match the codec', async () => {
    const task = sim.create(dialect, { reads: 1, result: { rows: 3 } });
    const outcome = await run(sourceFor(task, { result: t.type({ nope: t.string }) }));
    expect(outcome.error).toBeInstanceOf(DecodeError);
    expect((outcome.error as DecodeError).issues[0]).toMatch(/^Invalid value undefined supplied to : .*\/nope: string$/);
    expect(outcome.events.some((e) => e.type === 'result')).toBe(false);
  });

  it('fails with the vendor\'s code and message', async () => {
    const task = sim.create(dialect, { reads: 2, outcome: 'failed', failure: { code: 'E42', message: 'Boom' } });
    const outcome = await run(sourceFor(task));
    expect(outcome.error).toBeInstanceOf(TaskFailedError);
    expect((outcome.error as TaskFailedError).failure).toEqual(failureOf[dialect]);
    expect((outcome.error as TaskFailedError).snapshot.polls).toBe(2);
  });

  it('ends with UnknownStatusError naming a status word it does not know, without asking again', async () => {
    const task = sim.create(dialect, { reads: 5 });
    sim.fault({ kind: 'unknown-status', word: 'FROZEN', taskId: task.id });
    const outcome = await run(sourceFor(task));
    expect(outcome.error).toBeInstanceOf(UnknownStatusError);
    expect((outcome.error as UnknownStatusError).vendorStatus).toBe('FROZEN');
    expect(statusRequests(task)).toHaveLength(1);
  });

  if (cancelOf[dialect] !== undefined) {
    const { method, words } = cancelOf[dialect]!;
    it(`cancels with ${method} when the subscriber leaves, and reports the cancel`, async () => {
      const task = sim.create(dialect, { reads: 100 });
      const source = sourceFor(task, { headers: { authorization: 'Bearer cancel-secret-1' } });
      const subscription = pollTask$(source, withInterval(0)).pipe(cancelOnUnsubscribe(), take(2)).subscribe();
      await until(() => subscription.closed, 'two readings');
      // take(2) completed, which unsubscribed cancelOnUnsubscribe's upstream before the task ended.
      await until(() => sim.cancelRequested(task.id), 'the cancel request');
      const cancel = sim.requests.find((r) => r.method === method)!;
      expect(cancel.taskId).toBe(task.id);
      expect(cancel.headers.authorization).toBe('[redacted]');
      if (dialect === 'deadline') expect(cancel.headers['x-amz-client-token']).toBe('[redacted]');
      const after = await run(source);
      expect(after.error).toBeInstanceOf(TaskCanceledError);
      expect([...after.events.map((e) => e.snapshot.vendorStatus), (after.error as TaskCanceledError).snapshot.vendorStatus]).toEqual(words);
    });
  } else {
    it('is not cancelable: the service has no cancel', async () => {
      const task = sim.create(dialect, { reads: 3 });
      const outcome = await run(sourceFor(task));
      expect(outcome.events[0]?.task.cancelable).toBe(false);
    });
  }

  describe('transport rules', () => {
    it.each([408, 429, 500, 502, 503, 504])('retries a %i and goes on', async (status) => {
      const task = sim.create(dialect, { reads: 2 });
      sim.fault({ kind: 'status', status, taskId: task.id });
      const outcome = await run(sourceFor(task));
      expect(outcome.error).toBeUndefined();
      expect(statusRequests(task)).toHaveLength(3);
    });

    it('retries a reset connection and a body cut mid-way', async () => {
      const task = sim.create(dialect, { reads: 2 });
      sim.fault({ kind: 'reset', taskId: task.id });
      sim.fault({ kind: 'truncated', taskId: task.id });
      const outcome = await run(sourceFor(task));
      expect(outcome.error).toBeUndefined();
      expect(statusRequests(task)).toHaveLength(4);
    });

    it('counts a request slower than requestTimeoutMs as a retryable failure', async () => {
      const task = sim.create(dialect, { reads: 1 });
      // Generous numbers: a normal answer must come well within the limit even on a busy machine.
      sim.fault({ kind: 'slow', delayMs: 2000, taskId: task.id });
      const failed = await run(sourceFor(task, { requestTimeoutMs: 300 }), once);
      expect(failed.error).toBeInstanceOf(TransportError);
      expect((failed.error as TransportError).retryable).toBe(true);
      // The fact, then the loop's decision (maxConsecutiveErrors: 0 gives up on the first).
      expect(failed.error).toMatchObject({ attempts: 1 });
      expect((failed.error as Error).message).toMatch(/^GET \S+ did not answer within 300 ms \(requestTimeoutMs\)\. Gave up after 1 failed request \(maxConsecutiveErrors: 0\)\.$/);
      sim.fault({ kind: 'slow', delayMs: 2000, taskId: task.id });
      expect((await run(sourceFor(task, { requestTimeoutMs: 300 }))).error).toBeUndefined();
    });

    it('reads Retry-After in seconds, as an HTTP date and as retry-after-ms, on errors', async () => {
      const task = sim.create(dialect, { reads: 1 });
      sim.fault({ kind: 'status', status: 503, retryAfter: '2', taskId: task.id });
      expect(((await run(sourceFor(task), once)).error as TransportError).retryAfterMs).toBe(2000);
      sim.fault({ kind: 'status', status: 429, retryAfter: new Date(Date.now() + 3000).toUTCString(), taskId: task.id });
      const dated = ((await run(sourceFor(task), once)).error as TransportError).retryAfterMs!;
      expect(dated).toBeGreaterThan(1000);
      expect(dated).toBeLessThanOrEqual(3000);
      sim.fault({ kind: 'status', status: 503, retryAfterMs: 1500, taskId: task.id });
      expect(((await run(sourceFor(task), once)).error as TransportError).retryAfterMs).toBe(1500);
    });

    it('passes Retry-After on a normal answer to the strategy', async () => {
      const task = sim.create(dialect, { reads: 2 });
      sim.fault({ kind: 'hint', retryAfter: '7', taskId: task.id });
      const hints: (number | undefined)[] = [];
      const recording = (reading$: Observable<TaskReading<unknown>>) =>
        reading$.pipe(
          tap((r) => hints.push(r.retryAfterMs)),
          repeat({ delay: 0 }),
        );
      await run(sourceFor(task), recording);
      expect(hints).toEqual([7000, undefined]);
    });

    it.each([
      [401, /: check the credentials \(headers\) given to this source for .*; they are missing, wrong or expired\.$/],
      [403, /: the credentials are valid but may not read this task; check the token's permissions or scopes\.$/],
      [404, /: check the task id and the service URL; no such task is known to .*\.$/],
      [400, /: the service refused the request; check the ids and options of this source\.$/],
    ])('ends a %i at once, saying what to check and never showing the credentials', async (status, message) => {
      const task = sim.create(dialect, { reads: 3 });
      sim.fault({ kind: 'status', status, taskId: task.id });
      const outcome = await run(sourceFor(task, { headers: { authorization: 'Bearer super-secret-token' } }));
      const error = outcome.error as TransportError;
      expect(error).toBeInstanceOf(TransportError);
      expect(error).toMatchObject({ status, retryable: false });
      expect(error.message).toMatch(message);
      expect(error.message).toContain(`answered ${status} (the service said: "Injected ${status}")`);
      expect(JSON.stringify({ ...error, message: error.message })).not.toContain('super-secret-token');
      expect(statusRequests(task)).toHaveLength(1);
      expect(statusRequests(task)[0]?.headers.authorization).toBe('[redacted]');
    });

    it('says the task data expired for a 404 after the task was seen', async () => {
      const task = sim.create(dialect, { reads: 5 });
      const source = sourceFor(task);
      const first = await run(source, (reading$) => reading$.pipe(take(1)));
      expect(first.events).toHaveLength(1);
      sim.fault({ kind: 'status', status: 404, taskId: task.id });
      const error = (await run(source)).error as TransportError;
      expect(error.status).toBe(404);
      expect(error.message).toMatch(/the task was found before, so its data has expired on .*; its outcome can no longer be read\.$/);
    });

    it.each([
      ['malformed', /is not JSON: \{"status": "RUNN; a proxy or login page may stand in front of the service\.$/],
      ['html', /is not JSON: <html><body><h1>502 Bad Gateway<\/h1><\/body><\/html>; a proxy or login page/],
      ['wrong-shape', /does not have the expected shape \(.+\): Invalid value undefined supplied to : /],
    ] as const)('ends a %s body at once with a DecodeError', async (kind, message) => {
      const task = sim.create(dialect, { reads: 3 });
      sim.fault({ kind, taskId: task.id });
      const outcome = await run(sourceFor(task));
      expect(outcome.error).toBeInstanceOf(DecodeError);
      expect((outcome.error as Error).message).toMatch(message);
      expect(statusRequests(task)).toHaveLength(1);
    });

    it('ends an oversized body with a DecodeError', async () => {
      const task = sim.create(dialect, { reads: 3 });
      sim.fault({ kind: 'oversized', bytes: 5000, taskId: task.id });
      const outcome = await run(sourceFor(task, { maxBodyBytes: 2000 }));
      expect(outcome.error).toBeInstanceOf(DecodeError);
      expect((outcome.error as Error).message).toMatch(/is larger than maxBodyBytes \(more than 2000 bytes, limit 2000 bytes\)/);
    });

    it('aborts the request in flight when the subscriber leaves', async () => {
      const task = sim.create(dialect, { reads: 3 });
      sim.fault({ kind: 'slow', delayMs: 2000, taskId: task.id });
      const signals: AbortSignal[] = [];
      const recordingFetch: Fetch = (url, init) => {
        signals.push(init.signal!);
        return fetch(url, init);
      };
      const subscription = pollTask$(sourceFor(task, { fetch: recordingFetch })).subscribe();
      await until(() => statusRequests(task).length === 1, 'the request');
      subscription.unsubscribe();
      expect(signals.map((s) => s.aborted)).toEqual([true]);
      expect(statusRequests(task)).toHaveLength(1);
    });

    it('refuses a URL with credentials in it, sending nothing', () => {
      const task = sim.create(dialect, { reads: 1 });
      const withUser = task.url.replace('http://', 'http://user:pw@');
      expect(() => httpTask({ url: withUser, dialect: dialectOf[dialect] })).toThrow(UnsafeUrlError);
      expect(() => httpTask({ url: withUser, dialect: dialectOf[dialect] })).toThrow(
        `Refused to request ${task.url}: the URL carries credentials (user:password@); pass them as headers instead.`,
      );
      expect(sim.requests).toHaveLength(0);
    });

    it('refuses a scheme other than http: and https:', () => {
      expect(() => httpTask({ url: 'ftp://files.example.com/task/1', dialect: dialectOf[dialect] })).toThrow(
        'Refused to request ftp://files.example.com/task/1: only http: and https: URLs are requested, not ftp:',
      );
    });

    it('refuses a task URL outside allowedOrigins', () => {
      const task = sim.create(dialect, { reads: 1 });
      expect(() => httpTask({ url: task.url, dialect: dialectOf[dialect], allowedOrigins: ['https://api.example.com'] })).toThrow(UnsafeUrlError);
      expect(sim.requests).toHaveLength(0);
    });

    it('follows a redirect within the allowed origin', async () => {
      const task = sim.create(dialect, { reads: 1 });
      sim.fault({ kind: 'redirect', location: new URL(task.url).pathname, taskId: task.id });
      expect((await run(sourceFor(task))).error).toBeUndefined();
      expect(statusRequests(task)).toHaveLength(2);
    });

    it('refuses a redirect to another origin, which sees no request and no credential', async () => {
      const other = await startTaskServer();
      try {
        const task = sim.create(dialect, { reads: 1 });
        sim.fault({ kind: 'redirect', location: `${other.url}/steal`, taskId: task.id });
        const outcome = await run(sourceFor(task, { headers: { authorization: 'Bearer do-not-leak' } }));
        expect(outcome.error).toBeInstanceOf(UnsafeUrlError);
        expect((outcome.error as Error).message).toBe(
          `Refused to request ${other.url}/steal: its origin ${other.url} is not among the allowed origins (${sim.url}); credentials are sent only there. Add it to allowedOrigins if it is yours.`,
        );
        expect(other.requests).toHaveLength(0);
      } finally {
        await other.close();
      }
    });
  });
});
