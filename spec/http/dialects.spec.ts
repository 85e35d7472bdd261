import * as t from 'io-ts';
import { withInterval, type RunStatus } from '../../lib/index.js';
import {
  affinity,
  affinityTask,
  benchling,
  benchlingTask,
  deadline,
  deadlineTask,
  deepint,
  deepintTask,
  defineDialect,
  evo,
  evoJob,
  httpTask,
  isDialect,
  type Dialect,
  type DialectReading,
} from '../../lib/http/index.js';
import { gapsOf, runSteps } from '../helpers/loops.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler } from '../helpers/sources.js';

const response = { status: 200, url: 'https://api.example.com/task', headers: { get: () => null } };

function read<B>(dialect: Dialect<B>, body: unknown): DialectReading {
  const decoded = dialect.status.decode(body);
  if (decoded._tag === 'Left') throw new Error(`test body does not decode for ${dialect.name}`);
  return dialect.toReading(decoded.right, response);
}

function statusesOf(dialect: Dialect<unknown>, field: string, words: string[], extra: Record<string, unknown> = {}): Record<string, RunStatus | undefined> {
  return Object.fromEntries(words.map((word) => [word, read(dialect, { ...extra, [field]: word }).runStatus]));
}

describe('the built-in dialects map every status word as the mapping tables say', () => {
  it('Benchling', () => {
    expect(statusesOf(benchling, 'status', ['RUNNING', 'SUCCEEDED', 'FAILED', 'QUEUED'])).toEqual({
      RUNNING: 'running',
      SUCCEEDED: 'succeeded',
      FAILED: 'failed',
      QUEUED: undefined,
    });
  });

  it('Affinity, both spellings of in-progress', () => {
    expect(statusesOf(affinity, 'status', ['pending', 'in-progress', 'in_progress', 'success', 'failed', 'done'])).toEqual({
      pending: 'pending',
      'in-progress': 'running',
      in_progress: 'running',
      success: 'succeeded',
      failed: 'failed',
      done: undefined,
    });
  });

  it('Evo, both spellings of cancel(l)ing and cancel(l)ed', () => {
    expect(
      statusesOf(evo, 'status', ['requested', 'in progress', 'cancelling', 'canceling', 'succeeded', 'failed', 'cancelled', 'canceled', 'in_progress']),
    ).toEqual({
      requested: 'pending',
      'in progress': 'running',
      cancelling: 'canceling',
      canceling: 'canceling',
      succeeded: 'succeeded',
      failed: 'failed',
      cancelled: 'canceled',
      canceled: 'canceled',
      in_progress: undefined,
    });
  });

  it('Deep Intelligence', () => {
    expect(statusesOf(deepint, 'status', ['pending', 'running', 'success', 'failed', 'unknown'])).toEqual({
      pending: 'pending',
      running: 'running',
      success: 'succeeded',
      failed: 'failed',
      unknown: undefined,
    });
  });

  it('Deadline Cloud, all twelve run statuses', () => {
    const words = ['PENDING', 'READY', 'ASSIGNED', 'STARTING', 'SCHEDULED', 'INTERRUPTING', 'RUNNING', 'SUSPENDED', 'CANCELED', 'FAILED', 'SUCCEEDED', 'NOT_COMPATIBLE', 'ARCHIVED'];
    expect(statusesOf(deadline, 'runStatus', words, { taskId: 't' })).toEqual({
      PENDING: 'pending',
      READY: 'pending',
      ASSIGNED: 'pending',
      STARTING: 'pending',
      SCHEDULED: 'pending',
      INTERRUPTING: 'canceling',
      RUNNING: 'running',
      SUSPENDED: 'suspended',
      CANCELED: 'canceled',
      FAILED: 'failed',
      SUCCEEDED: 'succeeded',
      NOT_COMPATIBLE: 'failed',
      ARCHIVED: undefined,
    });
    expect(read(deadline, { taskId: 't', runStatus: 'NOT_COMPATIBLE' }).failure).toEqual({
      code: 'NOT_COMPATIBLE',
      message: 'no worker fleet compatible with the task is associated with the queue',
    });
  });

  it('never mistakes an inherited property name for a status word', () => {
    for (const dialect of [benchling, affinity, evo, deepint] as Dialect<unknown>[]) {
      for (const word of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
        expect(read(dialect, { status: word }).runStatus).toBeUndefined();
      }
    }
    expect(read(deadline, { taskId: 't', runStatus: 'constructor' }).runStatus).toBeUndefined();
  });
});

describe('progress, messages and results', () => {
  it('normalises percentages to fractions and keeps subtasks and messages', () => {
    expect(read(evo, { status: 'in progress', progress: 40, message: 'Kriging' })).toMatchObject({ progress: 0.4, message: 'Kriging' });
    expect(read(evo, { status: 'in progress', progress: null, message: null })).toEqual({ runStatus: 'running', vendorStatus: 'in progress' });
    expect(read(deepint, { status: 'running', progress: 75, subtask: 'Training' })).toMatchObject({ progress: 0.75, subtask: 'Training' });
    expect(read(deepint, { status: 'running', progress: 75, subtask: '' }).subtask).toBeUndefined();
    expect(read(affinity, { status: 'in-progress', resultsSummary: { total: 8, success: 3, failed: 1, inProgress: 4 } }).progress).toBe(0.5);
    expect(read(affinity, { status: 'in-progress', resultsSummary: { total: 0, success: 0, failed: 0 } }).progress).toBeUndefined();
  });

  it('puts each vendor\'s result where the mapping table says', () => {
    expect(read(benchling, { status: 'SUCCEEDED', response: { id: 'seq_1' } }).result).toEqual({ id: 'seq_1' });
    expect(read(benchling, { status: 'SUCCEEDED', response: null }).result).toBeUndefined();
    expect(read(deepint, { status: 'success', result: 'src_9', result_type: 'source' }).result).toEqual({ source: 'src_9' });
    expect(read(affinity, { status: 'success', id: 'm1' }).result).toEqual({ status: 'success', id: 'm1' });
    expect(read(evo, { status: 'succeeded' }).result).toBeUndefined();
    expect(evo.resultUrl!('https://hub/compute/orgs/o/t/k/j/status', { status: 'succeeded' })).toBe('https://hub/compute/orgs/o/t/k/j');
    expect(evo.selectResult!({ results: [1, 2] })).toEqual([1, 2]);
  });

  it('maps failures with the vendor\'s code and text', () => {
    expect(read(benchling, { status: 'FAILED', message: 'Invalid sequence', errors: [{ index: 2 }] }).failure).toEqual({
      message: 'Invalid sequence',
      details: [{ index: 2 }],
    });
    expect(read(deepint, { status: 'failed', error_code: 12, error_description: 'Bad CSV' }).failure).toEqual({ code: '12', message: 'Bad CSV' });
    expect(read(evo, { status: 'failed', error: { status: 400, type: 'urn:invalid-grid', title: 'Invalid grid' } }).failure).toEqual({
      code: 'urn:invalid-grid',
      message: 'Invalid grid',
      details: { status: 400, type: 'urn:invalid-grid', title: 'Invalid grid' },
    });
  });

  it('cancels Deadline tasks with UpdateTask CANCELED and an idempotency token, Evo jobs with DELETE', () => {
    expect(deadline.cancel!('https://deadline/task', { idempotencyToken: 'tok-1' })).toEqual({
      method: 'PATCH',
      url: 'https://deadline/task',
      headers: { 'x-amz-client-token': 'tok-1' },
      body: { targetRunStatus: 'CANCELED' },
    });
    expect(evo.cancel!('https://hub/compute/orgs/o/t/k/j/status', { idempotencyToken: 'x' })).toEqual({ method: 'DELETE', url: 'https://hub/compute/orgs/o/t/k/j' });
    expect(benchling.cancel).toBeUndefined();
    expect(affinity.cancel).toBeUndefined();
    expect(deepint.cancel).toBeUndefined();
  });
});

describe('the default waiting of each service', () => {
  const running = reading.running();
  const many = (n: number) => Array.from({ length: n }, () => running);

  it('Benchling: every 1 s, giving up after 600 s', () => {
    const out = runSteps(newTestScheduler(), many(1000), () => benchling.defaultStrategy!, 2000);
    expect(new Set(gapsOf(out.readTimes).slice(0, -1))).toEqual(new Set([1000]));
    // The read after 598.6 s would come inside the last second: it comes a second before the limit instead.
    expect(out.readTimes.at(-1)).toBe(600_000 - 1000);
    expect(out.reads).toBe(600);
    expect(out.error).toMatchObject({ name: 'TaskTimeoutError', timeoutMs: 600_000 });
  });

  it('Affinity: 2 s growing by half up to 30 s with 0-10 % added, giving up after 300 s', () => {
    const out = runSteps(newTestScheduler(), many(100), () => affinity.defaultStrategy!);
    const floors = [2000, 3000, 4500, 6750, 10125, 15187.5, 22781.25, 30000];
    gapsOf(out.readTimes).slice(0, 8).forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(floors[i]!);
      expect(delay).toBeLessThanOrEqual(Math.min(30_000, floors[i]! * 1.1));
    });
    expect(out.error).toMatchObject({ name: 'TaskTimeoutError', timeoutMs: 300_000 });
  });

  it('Evo: every 0.5 s; Deep Intelligence: every 3 s; both without a time limit', () => {
    const evoRun = runSteps(newTestScheduler(), [...many(30), reading.succeeded(1)], () => evo.defaultStrategy!);
    expect(new Set(gapsOf(evoRun.readTimes))).toEqual(new Set([500]));
    expect(evoRun.completed).toBe(true);
    const deepintRun = runSteps(newTestScheduler(), [...many(30), reading.succeeded(1)], () => deepint.defaultStrategy!);
    expect(new Set(gapsOf(deepintRun.readTimes))).toEqual(new Set([3000]));
    expect(deepintRun.completed).toBe(true);
  });

  it('Deadline Cloud: every 15 s, giving up after an hour', () => {
    const out = runSteps(newTestScheduler(), many(400), () => deadline.defaultStrategy!, 500);
    expect(new Set(gapsOf(out.readTimes).slice(0, -1))).toEqual(new Set([15_000]));
    // The 241st read would come past the hour: it comes a second before it instead.
    expect(out.readTimes.at(-1)).toBe(3_600_000 - 1000);
    expect(out.reads).toBe(241);
    expect(out.error).toMatchObject({ name: 'TaskTimeoutError', timeoutMs: 3_600_000 });
  });

  it('travels with the source built for the service', () => {
    expect(benchlingTask({ baseUrl: 'https://x.benchling.com', taskId: 't' }).defaultStrategy).toBe(benchling.defaultStrategy);
    expect(deadlineTask({ endpoint: 'https://d', farmId: 'f', queueId: 'q', jobId: 'j', stepId: 's', taskId: 't' }).defaultStrategy).toBe(deadline.defaultStrategy);
  });
});

describe('the builders', () => {
  it('build each service\'s status URL from its ids', () => {
    expect(benchlingTask({ baseUrl: 'https://x.benchling.com/', taskId: 'a b' }).id).toBe('https://x.benchling.com/api/v2/tasks/a%20b');
    expect(benchlingTask({ baseUrl: 'https://x.benchling.com/api/v2', taskId: 't1' }).id).toBe('https://x.benchling.com/api/v2/tasks/t1');
    expect(affinityTask({ taskUrl: 'tasks/company-merges/7#frag' }).id).toBe('https://api.affinity.co/v2/tasks/company-merges/7');
    expect(affinityTask({ url: 'https://api.affinity.co/v2/tasks/person-merges/8' }).id).toBe('https://api.affinity.co/v2/tasks/person-merges/8');
    expect(evoJob({ baseUrl: 'https://hub.test', orgId: 'o', topic: 'geo', task: 'krig', jobId: 'j1' }).id).toBe('https://hub.test/compute/orgs/o/geo/krig/j1/status');
    expect(deepintTask({ organizationId: 'o', workspaceId: 'w', taskId: 't' }).id).toBe('https://app.deepint.net/api/v1/workspace/w/task/t');
    expect(deadlineTask({ endpoint: 'https://management.deadline.us-west-2.amazonaws.com', farmId: 'farm-1', queueId: 'queue-1', jobId: 'job-1', stepId: 'step-1', taskId: 'task-1' }).id).toBe(
      'https://management.deadline.us-west-2.amazonaws.com/2023-10-12/farms/farm-1/queues/queue-1/jobs/job-1/steps/step-1/tasks/task-1',
    );
  });

  it('keep Affinity task URLs on the Affinity API host, as the SDK does', () => {
    expect(() => affinityTask({ taskUrl: 'https://evil.example.com/v2/tasks/company-merges/7' })).toThrow(
      'Refused to request https://evil.example.com/v2/tasks/company-merges/7: its origin https://evil.example.com is not among the allowed origins (https://api.affinity.co); credentials are sent only there. Add it to allowedOrigins if it is yours.',
    );
    expect(() => affinityTask({ taskUrl: 'http://api.affinity.co/v2/tasks/company-merges/7' })).toThrow(/its origin http:\/\/api\.affinity\.co is not among/);
    expect(() => affinityTask({ taskUrl: 'https://api.affinity.co:8443/v2/tasks/company-merges/7' })).toThrow(/its origin https:\/\/api\.affinity\.co:8443/);
  });

  it('accept only Evo job status URLs, within the base URL when one is given', () => {
    expect(() => evoJob({ url: 'https://hub.test/compute/orgs/o/geo/krig/j1' })).toThrow(
      'evoJob: https://hub.test/compute/orgs/o/geo/krig/j1 is not an Evo job status URL (…/compute/orgs/{org}/{topic}/{task}/{job}/status).',
    );
    expect(() => evoJob({ url: 'https://other.test/compute/orgs/o/geo/krig/j1/status', baseUrl: 'https://hub.test' })).toThrow(
      'evoJob: the job URL https://other.test/compute/orgs/o/geo/krig/j1/status does not start with baseUrl https://hub.test/.',
    );
  });

  it.each([
    [() => benchlingTask({ baseUrl: 'example.benchling.com', taskId: 't' }), 'benchlingTask: option "baseUrl" must be an absolute http(s) URL such as "https://api.example.com", but was "example.benchling.com".'],
    [() => benchlingTask({ baseUrl: 'https://x.benchling.com', taskId: '' }), 'benchlingTask: option "taskId" must be a non-empty string, but was "".'],
    [() => benchlingTask({ baseUrl: 'https://x.benchling.com', taskId: 5 as never }), 'benchlingTask: option "taskId" must be a non-empty string, but was 5.'],
    [() => benchlingTask({ baseUrl: 'https://x.benchling.com', taskId: ' \n' }), 'benchlingTask: option "taskId" must be a non-empty string, but was " \\n".'],
    [() => affinityTask({} as never), 'affinityTask: give the merge task\'s URL as "url" or "taskUrl" (the taskUrl Affinity answered with).'],
    [() => evoJob({ baseUrl: 'https://hub', orgId: 'o', topic: 't', task: 'k' } as never), 'evoJob: option "jobId" must be a non-empty string, but was undefined.'],
    [() => deepintTask({ workspaceId: 'w', taskId: 't' } as never), 'deepintTask: option "organizationId" must be a non-empty string, but was undefined.'],
    [() => deadlineTask({ endpoint: 'https://d', farmId: 'f', queueId: 'q', jobId: 'j', taskId: 't' } as never), 'deadlineTask: option "stepId" must be a non-empty string, but was undefined.'],
    [() => benchlingTask({ baseUrl: 'https://x', taskId: 't', requestTimeoutMs: 0 }), 'benchlingTask: option "requestTimeoutMs" must be a number of at least 1, but was 0.'],
    [() => benchlingTask({ baseUrl: 'https://x', taskId: 't', headers: { authorization: 42 } as never }), 'benchlingTask: header "authorization" must be a string, but was number.'],
    [() => benchlingTask({ baseUrl: 'https://x', taskId: 't', retries: 3 } as never), 'benchlingTask: unknown option "retries"; the options are baseUrl, taskId, result, headers, fetch, requestTimeoutMs, maxBodyBytes, allowedOrigins.'],
    [() => httpTask({ url: 'https://x/t', dialect: 'benchling' as never }), 'httpTask: option "dialect" must be a dialect: one of the built-in ones (benchling, affinity, evo, deepint, deadline) or one made with defineDialect().'],
    [() => httpTask({ url: 'https://x/t', dialect: benchling, result: 'Report' as never }), 'httpTask: option "result" must be an io-ts codec for the task\'s result (with decode()).'],
    [() => httpTask({ url: 'https://x/t', dialect: benchling, allowedOrigins: [] }), 'httpTask: option "allowedOrigins" must be a non-empty array of origins such as "https://api.example.com".'],
    [() => httpTask({ url: 'https://x/t', dialect: benchling, allowedOrigins: ['not a url'] }), 'httpTask: allowed origin "not a url" is not a URL; write it like "https://api.example.com".'],
  ])('throw a TypeError that says what was wrong (%#)', (build, message) => {
    expect(build).toThrow(new TypeError(message));
  });
});

describe('defineDialect', () => {
  it('makes a dialect httpTask accepts', () => {
    const dialect = defineDialect({
      name: 'Render farm',
      status: t.type({ state: t.string }),
      toReading: (body) => ({ runStatus: body.state === 'DONE' ? 'succeeded' : 'running', vendorStatus: body.state }),
      defaultStrategy: withInterval(2000),
    });
    expect(isDialect(dialect)).toBe(true);
    expect(Object.isFrozen(dialect)).toBe(true);
    expect(httpTask({ url: 'https://farm.example.com/jobs/1', dialect }).defaultStrategy).toBe(dialect.defaultStrategy);
  });

  it('calls the service "the service" in messages when it has no name', () => {
    expect(defineDialect({ status: t.unknown, toReading: () => ({ runStatus: 'running', vendorStatus: 'x' }) }).name).toBe('the service');
  });

  it.each([
    [undefined, 'defineDialect: a spec with name, status and toReading is required.'],
    [{ name: '', status: t.unknown, toReading: () => ({}) }, 'defineDialect: option "name" must be the service\'s name, a non-empty string.'],
    [{ name: 'X', toReading: () => ({}) }, 'defineDialect: option "status" must be an io-ts codec for the status body (with decode()).'],
    [{ name: 'X', status: t.unknown }, 'defineDialect: option "toReading" must be a function, but was undefined.'],
    [{ name: 'X', status: t.unknown, toReading: () => ({}), cancel: 'DELETE' }, 'defineDialect: option "cancel" must be a function, but was string.'],
    [{ name: 'X', status: t.unknown, toReading: () => ({}), statusMap: {} }, 'defineDialect: unknown option "statusMap"; the options are name, status, toReading, resultUrl, selectResult, cancel, expiredMessage, defaultStrategy.'],
  ])('throws a TypeError for a bad spec (%#)', (spec, message) => {
    expect(() => defineDialect(spec as never)).toThrow(new TypeError(message));
  });
});
