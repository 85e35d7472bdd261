import { asyncScheduler, lastValueFrom, take, toArray } from 'rxjs';
import * as t from 'io-ts';
import { DecodeError, TaskTimeoutError, UnsafeUrlError, pollTask$, taskSource, withBackoff, withInterval, type TaskSnapshot } from '../../lib/index.js';
import { benchling, defineDialect, httpTask, resumeTask$, resumedSource, serializeTask } from '../../lib/http/index.js';
import { simulatedSource, startTaskServer, type TaskServer } from '../../lib/testing/index.js';
import { trackingScheduler } from '../helpers/sources.js';

describe('serializeTask and resumeTask$', () => {
  let sim: TaskServer;
  beforeEach(async () => {
    sim = await startTaskServer();
  });
  afterEach(() => sim.close());

  it('continue the same wait after a restart: same task, poll count going on, result at the end', async () => {
    const task = sim.create('evo', { reads: 5, result: { cells: 3 } });
    const source = simulatedSource(task, { headers: { authorization: 'Bearer resume-secret-99' } });
    const first = await lastValueFrom(pollTask$(source, withInterval(0)).pipe(take(2), toArray()));
    const token = serializeTask(source, first.at(-1)!.snapshot);
    expect(JSON.parse(token)).toEqual({ pollTask: 'resume', v: 1, dialect: 'Evo', url: task.url, startedAt: expect.any(Number), deadline: null, polls: 2 });
    expect(token).not.toContain('resume-secret-99');

    // The process restarts: only the token survives.
    const events = await lastValueFrom(
      resumeTask$(token, { allowedOrigins: [sim.url], headers: { authorization: 'Bearer resume-secret-99' }, strategy: withInterval(0), result: t.type({ cells: t.number }) }).pipe(toArray()),
    );
    expect(events.map((e) => e.snapshot.polls)).toEqual([3, 4, 5]);
    expect(events.at(-1)).toMatchObject({ type: 'result', result: { cells: 3 } });
    expect(sim.requests.filter((r) => r.path === new URL(task.url).pathname)).toHaveLength(5);
  });

  it('keeps the original deadline', async () => {
    const task = sim.create('benchling', { reads: 1000 });
    const source = simulatedSource(task);
    const token = serializeTask(source, undefined, { deadline: Date.now() - 1 });
    const error = await lastValueFrom(resumeTask$(token, { allowedOrigins: [sim.url], strategy: withInterval(0) })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskTimeoutError);
  });

  it('continues the backoff where it stopped', async () => {
    const task = sim.create('deadline', { reads: 6 });
    const source = simulatedSource(task);
    const first = await lastValueFrom(pollTask$(source, withInterval(0)).pipe(take(3), toArray()));
    const token = serializeTask(source, first.at(-1)!.snapshot);
    const timers = trackingScheduler(asyncScheduler);
    await lastValueFrom(resumeTask$(token, { allowedOrigins: [sim.url], strategy: withBackoff({ initialDelayMs: 1, factor: 2, jitter: 0, scheduler: timers }) }));
    // Three polls were made before: the next wait is the third of the schedule (4 ms), then 8; six reads in all.
    // Each of the three new requests has its timeout (30 s by default) on the wait's clock too.
    expect(timers.scheduled).toEqual([30_000, 4, 30_000, 8, 30_000]);
  });

  it('elapsedMs goes on from when the wait first started', async () => {
    const task = sim.create('deepint', { reads: 3 });
    const source = simulatedSource(task);
    const snapshot = { taskId: task.url, runStatus: 'running', vendorStatus: 'running', polls: 1, elapsedMs: 60_000, raw: {} } as TaskSnapshot;
    const token = serializeTask(source, snapshot);
    const headers = { 'x-deepint-organization': (task.ids as Record<string, string>).organizationId! };
    const first = await lastValueFrom(resumeTask$(token, { allowedOrigins: [sim.url], headers, strategy: withInterval(0) }).pipe(take(1)));
    expect(first.snapshot.elapsedMs).toBeGreaterThanOrEqual(60_000);
  });

  it('resumes a task of a dialect of your own when it is given', async () => {
    const mine = defineDialect({ name: 'Mine', status: t.type({ status: t.string }), toReading: (b) => ({ runStatus: b.status === 'SUCCEEDED' ? 'succeeded' : 'running', vendorStatus: b.status }) });
    const task = sim.create('benchling', { reads: 2 });
    const { httpTask } = await import('../../lib/http/index.js');
    const token = serializeTask(httpTask({ url: task.url, dialect: mine }));
    const last = await lastValueFrom(resumeTask$(token, { allowedOrigins: [sim.url], dialects: [mine], strategy: withInterval(0) }));
    expect(last.type).toBe('result');
    expect(() => resumeTask$(token, { allowedOrigins: [sim.url] })).toThrow(
      new DecodeError('The resume token names the dialect "Mine", which is not built in; pass it in options.dialects.', []),
    );
  });

  describe('refuse bad tokens clearly', () => {
    const valid = (url: string) => JSON.stringify({ pollTask: 'resume', v: 1, dialect: 'Benchling', url, startedAt: 0, deadline: null, polls: 0 });

    it('for a token of another origin', () => {
      expect(() => resumeTask$(valid('https://evil.example.com/api/v2/tasks/1'), { allowedOrigins: [sim.url] })).toThrow(UnsafeUrlError);
      expect(() => resumeTask$(valid('https://evil.example.com/api/v2/tasks/1'), { allowedOrigins: [sim.url] })).toThrow(
        `Refused to request https://evil.example.com/api/v2/tasks/1: its origin https://evil.example.com is not among the allowed origins (${sim.url}); credentials are sent only there. Add it to allowedOrigins if it is yours.`,
      );
    });

    it.each([
      ['not JSON', 'pollTask:resume', 'The resume token is not JSON: pollTask:resume; use the string serializeTask wrote, unchanged.'],
      ['of an unknown version', JSON.stringify({ pollTask: 'resume', v: 7 }), 'The resume token is of version 7, which this version of poll-task does not know (it reads version 1); resume it with the version that wrote it, or start a new wait.'],
      ['of the wrong shape', JSON.stringify({ pollTask: 'resume', v: 1, url: 5 }), 'The resume token does not have the expected shape (ResumeToken): Invalid value undefined supplied to : ResumeToken/dialect: string (and 5 more); received {"pollTask":"resume","v":1,"url":5}. Use the string serializeTask wrote, unchanged.'],
    ])('for a token %s', (_what, token, message) => {
      expect(() => resumeTask$(token, { allowedOrigins: [sim.url] })).toThrow(DecodeError);
      expect(() => resumeTask$(token, { allowedOrigins: [sim.url] })).toThrow(message);
    });

    it('without allowedOrigins', () => {
      expect(() => resumeTask$(valid(`${sim.url}/api/v2/tasks/1`), {} as never)).toThrow(
        new TypeError('resumeTask$: options.allowedOrigins is required: the origins the resumed task may be at, e.g. ["https://api.example.com"].'),
      );
    });

    it('for a source that has no URL to come back to', () => {
      const inMemory = taskSource({ id: 'x', read: async () => ({ runStatus: 'running', vendorStatus: 'r', raw: {} }) });
      expect(() => serializeTask(inMemory)).toThrow(
        new TypeError('serializeTask: only sources built by poll-task/http (httpTask or a service\'s builder) can be resumed; this one has no status URL to come back to.'),
      );
    });
  });
});

describe('resume tokens: no query, no credential, counters in range', () => {
  let sim: TaskServer;
  beforeEach(async () => {
    sim = await startTaskServer();
  });
  afterEach(() => sim.close());

  it('leave a signed URL\'s query out, and resume it when the full URL is given again', async () => {
    const task = sim.create('benchling', { reads: 3, result: { cells: 1 } });
    const signed = `${task.url}?sig=s3cr3t-signature&expires=99`;
    const first = await lastValueFrom(pollTask$(httpTaskOf(signed), withInterval(0)).pipe(take(1)));
    const token = serializeTask(httpTaskOf(signed), first.snapshot);
    expect(JSON.parse(token)).toEqual({ pollTask: 'resume', v: 1, dialect: 'Benchling', url: task.url, query: true, startedAt: expect.any(Number), deadline: null, polls: 1 });
    expect(token).not.toContain('s3cr3t');
    expect(token).not.toContain('expires');

    expect(() => resumeTask$(token, { allowedOrigins: [sim.url] })).toThrow(
      new TypeError('resumeTask$: the task\'s status URL had a query (a signature or a key, perhaps), which resume tokens never keep; pass the full URL again as option "url".'),
    );
    expect(() => resumeTask$(token, { allowedOrigins: [sim.url], url: `${sim.url}/api/v2/tasks/other?sig=x` })).toThrow(
      new TypeError(`resumeTask$: option "url" must be the token's status URL (${task.url}) with its query, but was ${sim.url}/api/v2/tasks/other?….`),
    );
    const last = await lastValueFrom(resumeTask$(token, { allowedOrigins: [sim.url], url: signed, strategy: withInterval(0) }));
    expect(last).toMatchObject({ type: 'result', snapshot: { polls: 3 } });
    // resumedSource takes it too, and its token leaves the query out again.
    expect(serializeTask(resumedSource(token, { allowedOrigins: [sim.url], url: signed }))).not.toContain('s3cr3t');
  });

  it('refuse to store a credential the requests sent, even percent-encoded in the path', () => {
    const key = 'k3y/with spaces';
    const source = httpTask({ url: `${sim.url}/api/v2/tasks/${encodeURIComponent(key)}`, dialect: benchling, headers: { 'x-api-key': key } });
    expect(() => serializeTask(source)).toThrow(
      new TypeError('serializeTask: the task\'s status URL holds the value of a credential header its requests sent, and a resume token must not store it; keep credentials in headers, out of the URL.'),
    );
    // Also with a malformed escape elsewhere in the path, which no decoder takes whole.
    const elsewhere = httpTask({ url: `${sim.url}/v1/%zz/${encodeURIComponent(key)}/t1`, dialect: benchling, headers: { 'x-api-key': key } });
    expect(() => serializeTask(elsewhere)).toThrow(TypeError);
    // Every header value sent counts (docs/http.md), whatever its name; only the harmless headers' do not.
    expect(() => serializeTask(httpTask({ url: `${sim.url}/api/v2/tasks/org-12345678`, dialect: benchling, headers: { 'x-organization': 'org-12345678' } }))).toThrow(TypeError);
    expect(() => serializeTask(httpTask({ url: `${sim.url}/api/v2/tasks/req-12345678`, dialect: benchling, headers: { 'x-request-id': 'req-12345678' } }))).not.toThrow();
  });

  it.each([
    [{ polls: -1 }, 'polls must be a whole number from 0 to 2147483647, but was -1'],
    [{ polls: 0.5 }, 'polls must be a whole number from 0 to 2147483647, but was 0.5'],
    [{ polls: 2 ** 31 }, 'polls must be a whole number from 0 to 2147483647, but was 2147483648'],
    [{ startedAt: -1 }, 'startedAt must be whole epoch milliseconds from 0 to 8640000000000000, but was -1'],
    [{ deadline: 8.64e15 + 1 }, 'deadline must be epoch milliseconds a Date can hold (at most 8640000000000000 either side of 1970), but was 8640000000000001'],
    [{ url: 'x'.repeat(8193) }, `url must be a URL of at most 8192 characters, but was ${'x'.repeat(100)}… (8193 characters)`],
  ])('refuse a token with %p out of range, with a DecodeError', (fields, issue) => {
    const token = JSON.stringify({ pollTask: 'resume', v: 1, dialect: 'Benchling', url: `${sim.url}/api/v2/tasks/1`, startedAt: 0, deadline: null, polls: 0, ...fields });
    let error: DecodeError | undefined;
    try {
      resumeTask$(token, { allowedOrigins: [sim.url] });
    } catch (e) {
      error = e as DecodeError;
    }
    expect(error).toBeInstanceOf(DecodeError);
    expect(error!.issues[0]).toBe(issue);
    // (A deadline fails both sides of its union: "(and 1 more)" follows.)
    expect(error!.message.startsWith(`The resume token does not have the expected shape (ResumeToken): ${issue}`)).toBe(true);
    expect(error!.message.length).toBeLessThan(1000);
  });

  it('never reports a negative elapsedMs for a token written on a clock ahead of this one', async () => {
    const task = sim.create('benchling', { reads: 1 });
    const token = JSON.stringify({ pollTask: 'resume', v: 1, dialect: 'Benchling', url: task.url, startedAt: Date.now() + 3_600_000, deadline: null, polls: 0 });
    const last = await lastValueFrom(resumeTask$(token, { allowedOrigins: [sim.url], strategy: withInterval(0) }));
    expect(last.snapshot.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(last.snapshot.elapsedMs).toBeLessThan(3_600_000);
  });

  it('refuse a token whose number is Infinity (1e999 in JSON)', () => {
    const token = `{"pollTask":"resume","v":1,"dialect":"Benchling","url":"${sim.url}/t/1","startedAt":0,"deadline":1e999,"polls":0}`;
    expect(() => resumeTask$(token, { allowedOrigins: [sim.url] })).toThrow(DecodeError);
  });

  it.each([
    [{ polls: NaN, elapsedMs: 0 }, {}, 'serializeTask: snapshot.polls must be a whole number from 0 to 2147483647, but was NaN.'],
    [{ polls: -1, elapsedMs: 0 }, {}, 'serializeTask: snapshot.polls must be a whole number from 0 to 2147483647, but was -1.'],
    [{ polls: 2 ** 53, elapsedMs: 0 }, {}, 'serializeTask: snapshot.polls must be a whole number from 0 to 2147483647, but was 9007199254740992.'],
    [{ polls: 1, elapsedMs: -5 }, {}, 'serializeTask: snapshot.elapsedMs must be the milliseconds since the wait started (from 0 to the time since 1970), but was -5.'],
    [{ polls: 1, elapsedMs: Infinity }, {}, 'serializeTask: snapshot.elapsedMs must be the milliseconds since the wait started (from 0 to the time since 1970), but was Infinity.'],
    [{ polls: 1, elapsedMs: 0 }, { deadline: Infinity }, 'serializeTask: option "deadline" must be a valid Date or epoch milliseconds.'],
    [{ polls: 1, elapsedMs: 0 }, { deadline: 2 ** 53 }, 'serializeTask: option "deadline" must be a valid Date or epoch milliseconds.'],
  ])('refuse to write a snapshot of %p (options %p), with a TypeError', (counts, options, message) => {
    const snapshot = { taskId: 't', runStatus: 'running', vendorStatus: 'RUNNING', raw: {}, ...counts } as TaskSnapshot;
    expect(() => serializeTask(httpTaskOf(`${sim.url}/api/v2/tasks/1`), snapshot, options)).toThrow(new TypeError(message));
  });

  it('refuse to write a status URL longer than 8192 characters without its query', () => {
    const long = `${sim.url}/t/`.padEnd(8193, 'x');
    expect(() => serializeTask(httpTaskOf(`${long}?q=1`))).toThrow(
      new TypeError('serializeTask: the task\'s status URL is 8193 characters long without its query, and a resume token holds at most 8192; this wait cannot be resumed from a token.'),
    );
    expect(JSON.parse(serializeTask(httpTaskOf(`${long.slice(0, -1)}?q=1`))).url).toHaveLength(8192);
  });
});

function httpTaskOf(url: string) {
  return httpTask({ url, dialect: benchling });
}
