import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../lib/cli/run-cli.js';
import { startTaskServer, type TaskServer } from '../../lib/testing/index.js';
import { fakeIo } from '../helpers/cli.js';
import { until } from '../helpers/sim.js';

describe('poll-task watch', () => {
  let sim: TaskServer;
  beforeEach(async () => {
    sim = await startTaskServer();
  });
  afterEach(() => sim.close());

  const watch = (args: string[], env: Record<string, string> = {}) => {
    const fake = fakeIo(env);
    return { fake, done: runCli(['watch', ...args], fake.io) };
  };

  it('prints one JSON line per event and the result, and exits 0', async () => {
    const task = sim.create('evo', { reads: 3, subtasks: ['load', 'krige'], result: { cells: 9 } });
    const { fake, done } = watch([task.url, '--dialect', 'evo', '--interval', '1ms']);
    expect(await done).toBe(0);
    const lines = fake.lines();
    expect(lines.map((l) => [l.event, l.vendorStatus, l.progress, l.message])).toEqual([
      ['progress', 'requested', 0, 'load'],
      ['progress', 'in progress', 0.5, 'krige'],
      ['result', 'succeeded', 1, 'krige'],
      ['output', undefined, undefined, undefined],
    ]);
    expect(lines[0]).toMatchObject({ taskId: task.url, status: 'pending', polls: 1, nextPollInMs: expect.any(Number) });
    expect(lines[3]).toEqual({ event: 'output', result: { cells: 9 } });
    expect(fake.err()).toBe('');
  });

  it('uses the service\'s own timing without --interval or --backoff', async () => {
    const task = sim.create('benchling', { reads: 2 });
    const { fake, done } = watch([task.url, '--dialect', 'benchling']);
    expect(await done).toBe(0);
    // Benchling's SDK asks every second.
    expect(fake.lines()[0]).toMatchObject({ nextPollInMs: expect.any(Number) });
    expect(fake.lines()[0]!.nextPollInMs as number).toBeGreaterThan(900);
  });

  it('writes the result to --result-out', async () => {
    const task = sim.create('deepint', { reads: 1 });
    const file = join(mkdtempSync(join(tmpdir(), 'poll-task-')), 'result.json');
    const { fake, done } = watch([task.url, '--dialect', 'deepint', '--header', `x-deepint-organization: ${(task.ids as Record<string, string>).organizationId}`, '--result-out', file]);
    expect(await done).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ source: `src-${task.id}` });
    expect(fake.lines().at(-1)).toEqual({ event: 'output', resultFile: file });
  });

  it('exits 1 when the task fails, with the error as a JSON line', async () => {
    const task = sim.create('affinity', { reads: 2, outcome: 'failed' });
    const { fake, done } = watch([task.url, '--dialect', 'affinity', '--interval', '1ms']);
    expect(await done).toBe(1);
    expect(fake.lines().at(-1)).toMatchObject({ event: 'error', kind: 'task-failed', exitCode: 1 });
  });

  it('exits 3 when --timeout runs out', async () => {
    const task = sim.create('deadline', { reads: 1000 });
    const { fake, done } = watch([task.url, '--dialect', 'deadline', '--interval', '10ms', '--timeout', '150ms']);
    expect(await done).toBe(3);
    expect(fake.lines().at(-1)).toMatchObject({ event: 'error', kind: 'timeout', exitCode: 3 });
  });

  it.each([
    ['status', { kind: 'status', status: 403 }, 'transport'],
    ['malformed', { kind: 'malformed' }, 'decode'],
  ] as const)('exits 4 for a %s answer', async (_name, fault, kind) => {
    const task = sim.create('benchling', { reads: 3 });
    sim.fault({ ...fault, taskId: task.id });
    const { fake, done } = watch([task.url, '--dialect', 'benchling']);
    expect(await done).toBe(4);
    expect(fake.lines().at(-1)).toMatchObject({ event: 'error', kind, exitCode: 4 });
  });

  it('takes headers from POLL_TASK_HEADER_* and never prints them, even when the server refuses them', async () => {
    const task = sim.create('benchling', { reads: 3 });
    sim.fault({ kind: 'status', status: 401, taskId: task.id });
    const secret = 'Bearer cli-secret-token-0042';
    const { fake, done } = watch([task.url, '--dialect', 'benchling', '--header', 'X-Request-Id: t-1'], { POLL_TASK_HEADER_AUTHORIZATION: secret, POLL_TASK_HEADER_X_API_KEY: 'key-000111222' });
    expect(await done).toBe(4);
    expect(sim.requests[0]?.headers).toMatchObject({ authorization: '[redacted]', 'x-api-key': '[redacted]', 'x-request-id': 't-1' });
    expect(fake.out() + fake.err()).not.toContain('cli-secret-token-0042');
    expect(fake.out() + fake.err()).not.toContain('key-000111222');
  });

  it('reads any JSON task API with --dialect json', async () => {
    const task = sim.create('benchling', { reads: 2, result: { rows: 5 } });
    const { fake, done } = watch([task.url, '--dialect', 'json', '--status-path', 'status', '--status-map', 'RUNNING=running,SUCCEEDED=succeeded,FAILED=failed', '--result-path', 'response.rows', '--interval', '1ms']);
    expect(await done).toBe(0);
    expect(fake.lines().map((l) => l.status)).toEqual(['running', 'succeeded', undefined]);
    expect(fake.lines().at(-1)).toEqual({ event: 'output', result: 5 });
  });

  it('reads progress with --progress-path, as percent or as a fraction', async () => {
    const task = sim.create('evo', { reads: 3 });
    const percent = watch([task.url, '--dialect', 'json', '--status-path', 'status', '--status-map', 'requested=pending,in progress=running,succeeded=succeeded', '--progress-path', 'progress', '--interval', '1ms']);
    expect(await percent.done).toBe(0);
    expect(percent.fake.lines().map((l) => l.progress)).toEqual([0, 0.5, 1, undefined]);
  });

  describe('on Ctrl-C', () => {
    it('cancels the task with --cancel-on-interrupt, then exits 130', async () => {
      const task = sim.create('evo', { reads: 1000 });
      const { fake, done } = watch([task.url, '--dialect', 'evo', '--interval', '5ms', '--cancel-on-interrupt']);
      await until(() => fake.lines().length >= 2, 'two events');
      fake.interrupt();
      expect(await done).toBe(130);
      expect(sim.cancelRequested(task.id)).toBe(true);
      expect(fake.err()).toBe('{"event":"interrupted","canceled":true}\n');
    });

    it('leaves the task running without it', async () => {
      const task = sim.create('evo', { reads: 1000 });
      const { fake, done } = watch([task.url, '--dialect', 'evo', '--interval', '5ms']);
      await until(() => fake.lines().length >= 1, 'an event');
      fake.interrupt();
      expect(await done).toBe(130);
      expect(sim.cancelRequested(task.id)).toBe(false);
    });

    it('says so when the service cannot cancel', async () => {
      const task = sim.create('benchling', { reads: 1000 });
      const { fake, done } = watch([task.url, '--dialect', 'benchling', '--interval', '5ms', '--cancel-on-interrupt']);
      await until(() => fake.lines().length >= 1, 'an event');
      fake.interrupt();
      expect(await done).toBe(130);
      expect(fake.err()).toBe('{"event":"interrupted","canceled":false,"reason":"the service cannot cancel tasks"}\n');
    });
  });

  describe('usage errors exit 2 and say what was wrong, then where the help is', () => {
    it.each([
      [[], 'give the task\'s status URL.'],
      [['http://x/t'], '--dialect is required: benchling, affinity, evo, deepint, deadline or json.'],
      [['http://x/t', '--dialect', 'asana'], 'unknown dialect "asana"; use benchling, affinity, evo, deepint, deadline or json.'],
      [['http://x/t', '--dialect', 'evo', '--bogus'], '--bogus is not an option of this command.'],
      [['http://x/t', 'http://y/t', '--dialect', 'evo'], 'give one status URL, not 2 arguments.'],
      [['http://x/t', '--dialect', 'benchling', '--interval', 'soon'], '--interval takes a duration such as 500ms, 2s or 10m, not "soon".'],
      [['http://x/t', '--dialect', 'benchling', '--backoff', '30s..1s'], '--backoff 30s..1s: the longest delay must not be shorter than the first.'],
      [['http://x/t', '--dialect', 'benchling', '--backoff', '1s'], '--backoff takes a range such as 1s..30s (first delay..longest delay), not "1s".'],
      [['http://x/t', '--dialect', 'benchling', '--interval', '1s', '--backoff', '1s..2s'], 'give --interval or --backoff, not both.'],
      [['http://x/t', '--dialect', 'benchling', '--status-path', 'a'], '--status-path goes with --dialect json only.'],
      [['http://x/t', '--dialect', 'json', '--status-path', 'a'], '--dialect json needs --status-path and --status-map, e.g. --status-path state --status-map WORKING=running,DONE=succeeded,BROKEN=failed.'],
      [['http://x/t', '--dialect', 'json', '--status-path', 'a', '--status-map', 'DONE=finished'], '--status-map takes WORD=runStatus pairs separated by commas, each runStatus one of pending, running, suspended, canceling, succeeded, failed, canceled; "DONE=finished" is not one.'],
      [['http://x/t', '--dialect', 'benchling', '--header', 'Authorization Bearer abc'], "--header takes 'Name: value' (a header name, a colon, the value); one of them has no colon."],
      [['http://x/compute/orgs/o/t/k/j', '--dialect', 'evo'], 'evoJob: http://x/compute/orgs/o/t/k/j is not an Evo job status URL (…/compute/orgs/{org}/{topic}/{task}/{job}/status).'],
      [['http://user:pw@x/t', '--dialect', 'benchling'], 'Refused to request http://x/t: the URL carries credentials (user:password@); pass them as headers instead.'],
    ])('%j', async (args, message) => {
      const fake = fakeIo();
      expect(await runCli(['watch', ...args], fake.io)).toBe(2);
      expect(fake.err()).toBe(`poll-task watch: ${message}\nRun poll-task watch --help for its options and exit codes.\n`);
      expect(fake.err()).not.toContain('abc');
    });
  });

  it('prints its usage, with every exit code, for --help', async () => {
    const fake = fakeIo();
    expect(await runCli(['watch', '--help'], fake.io)).toBe(0);
    const codes = fake.out().slice(fake.out().indexOf('Exit codes:'));
    expect([...codes.matchAll(/^ {2}(\d+) /gm)].map((match) => Number(match[1]))).toEqual([0, 1, 2, 3, 4, 130, 143]);
  });

  it('exits 1 when the task was canceled on its service', async () => {
    const task = sim.create('evo', { reads: 2, outcome: 'canceled' });
    const { fake, done } = watch([task.url, '--dialect', 'evo', '--interval', '1ms']);
    expect(await done).toBe(1);
    expect(fake.lines().at(-1)).toMatchObject({ event: 'error', kind: 'task-canceled', exitCode: 1 });
    expect(fake.lines().at(-1)).not.toHaveProperty('failure');
  });

  it('exits 4 when the result cannot be written to --result-out', async () => {
    const task = sim.create('evo', { reads: 1 });
    const file = join(mkdtempSync(join(tmpdir(), 'poll-task-')), 'no-such-folder', 'result.json');
    const { fake, done } = watch([task.url, '--dialect', 'evo', '--result-out', file]);
    expect(await done).toBe(4);
    expect(fake.err()).toContain(`poll-task watch: the task succeeded, but its result could not be written to ${file}: `);
  });
});

describe('poll-task', () => {
  it.each([
    [[], 2, 'poll-task: give a command: watch, serve or demo.'],
    [['poll'], 2, 'poll-task: unknown command "poll"; the commands are watch, serve and demo.'],
  ])('%j exits %i', async (args, code, message) => {
    const fake = fakeIo();
    expect(await runCli(args, fake.io)).toBe(code);
    expect(fake.err()).toBe(`${message}\nRun poll-task --help for the commands.\n`);
  });

  it.each([['--help'], ['serve', '--help'], ['demo', '--help']])('%s prints help and exits 0', async (...args) => {
    const fake = fakeIo();
    expect(await runCli(args, fake.io)).toBe(0);
    expect(fake.out()).toMatch(/^Usage: poll-task/);
  });
});
