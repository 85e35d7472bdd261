import { asyncScheduler, lastValueFrom, take, toArray } from 'rxjs';
import * as t from 'io-ts';
import { DecodeError, TaskTimeoutError, UnsafeUrlError, pollTask$, taskSource, withBackoff, withInterval, type TaskSnapshot } from '../../lib/index.js';
import { defineDialect, resumeTask$, serializeTask } from '../../lib/http/index.js';
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
    expect(timers.scheduled).toEqual([4, 8]);
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
