import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../lib/cli/run-cli.js';
import { cliPath, fakeIo, runBuilt } from '../helpers/cli.js';
import { startRawServer, type RawAnswer, type RawServer } from '../helpers/raw-server.js';
import { turnsUntil, turnsWithout } from '../helpers/timers.js';

const running = { status: 200, body: '{"status":"in progress","progress":10}' };
const interruptedAgain = '{"event":"interrupted","canceled":false,"reason":"interrupted again while canceling; the cancel may not have reached the service"}\n';

// An Evo job that runs for ever, and whose cancel (DELETE) the test answers, or holds to see what the command
// does while it waits.
describe('the command on Ctrl-C and SIGTERM', () => {
  let server: RawServer;
  let statusUrl: string;
  beforeEach(async () => {
    server = await startRawServer(() => running);
    statusUrl = `${server.url}/compute/orgs/o/geo/krig/j1/status`;
  });
  afterEach(() => server.close());

  const cancelAnswered = (cancel: RawAnswer) => (method: string) => (method === 'DELETE' ? cancel : running);
  const isCancel = (request: { method: string }) => request.method === 'DELETE';

  describe('as a process', () => {
    beforeAll(() => {
      if (!existsSync(cliPath)) throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
    });

    it.each(['SIGTERM', 'SIGINT'] as const)('exits 0 on %s right after the task succeeded: the outcome was decided', async (signal) => {
      server.answer = () => ({ status: 200, body: '{"status":"succeeded","progress":100}' });
      let sent = false;
      const ended = await runBuilt(['watch', statusUrl, '--dialect', 'evo', '--interval', '5ms'], {
        onStdout: (text, child) => {
          if (sent || !text.includes('"event":"output"')) return;
          sent = true;
          child.kill(signal);
        },
      });
      expect(sent).toBe(true);
      expect({ code: ended.code, signal: ended.signal }).toEqual({ code: 0, signal: null });
    });

    /** Runs the built command on the job, sending `signal` once its first line is out; gives the process too. */
    const watchThenSignal = (signal: NodeJS.Signals, extra: string[] = [], limitMs = 20_000) => {
      let child: ChildProcess | undefined;
      let started!: (child: ChildProcess) => void;
      const first = new Promise<ChildProcess>((resolve) => (started = resolve));
      const run = runBuilt(['watch', statusUrl, '--dialect', 'evo', '--interval', '20ms', ...extra], {
        limitMs,
        onStdout: (_text, process) => {
          if (child !== undefined) return;
          child = process;
          process.kill(signal);
          started(process);
        },
      });
      return { run, first };
    };

    it('exits 130 at once on a second Ctrl-C while the cancel is on its way, saying it may not have reached the service', async () => {
      server.answer = cancelAnswered('hold');
      const cancelSeen = server.next(isCancel);
      // Within 8 s: waiting for the cancel's own 10-second limit would take longer.
      const { run, first } = watchThenSignal('SIGINT', ['--cancel-on-interrupt'], 8000);
      const child = await first;
      const cancel = await cancelSeen;
      child.kill('SIGINT');
      const ended = await run;
      expect({ code: ended.code, signal: ended.signal }).toEqual({ code: 130, signal: null });
      expect(ended.stderr).toBe(interruptedAgain);
      // The cancel request was dropped, not left running, and never answered.
      await cancel.closed;
      expect(server.requests.filter(isCancel)).toHaveLength(1);
    });

    it('exits 143 on a second signal while canceling when SIGTERM came second', async () => {
      server.answer = cancelAnswered('hold');
      const cancelSeen = server.next(isCancel);
      const { run, first } = watchThenSignal('SIGTERM', ['--cancel-on-interrupt'], 8000);
      const child = await first;
      await cancelSeen;
      child.kill('SIGTERM');
      const ended = await run;
      expect(ended.code).toBe(143);
      expect(ended.stderr).toBe(interruptedAgain);
    });

    it('cancels the task on SIGTERM with --cancel-on-interrupt, says so and exits 143', async () => {
      server.answer = cancelAnswered({ status: 204, body: '' });
      const { run } = watchThenSignal('SIGTERM', ['--cancel-on-interrupt']);
      const ended = await run;
      expect({ code: ended.code, signal: ended.signal }).toEqual({ code: 143, signal: null });
      expect(ended.stderr).toBe('{"event":"interrupted","canceled":true}\n');
      expect(server.requests.filter(isCancel)).toHaveLength(1);
    });

    it('leaves the task running on SIGTERM without --cancel-on-interrupt, says so and exits 143', async () => {
      const { run } = watchThenSignal('SIGTERM');
      const ended = await run;
      expect({ code: ended.code, signal: ended.signal }).toEqual({ code: 143, signal: null });
      expect(ended.stderr).toBe('{"event":"interrupted","canceled":false}\n');
      expect(server.requests.filter(isCancel)).toHaveLength(0);
    });
  });

  describe('in process', () => {
    const watch = (extra: string[] = []) => {
      const fake = fakeIo();
      return { fake, done: runCli(['watch', statusUrl, '--dialect', 'evo', '--interval', '5ms', ...extra], fake.io) };
    };

    it.each([
      ['SIGINT', 'SIGINT', 130],
      ['SIGINT', 'SIGTERM', 143],
      ['SIGTERM', 'SIGINT', 130],
      ['SIGTERM', 'SIGTERM', 143],
    ] as const)('%s, then %s while canceling, ends at once with the second\'s code (%i)', async (firstSignal, second, code) => {
      server.answer = cancelAnswered('hold');
      const cancelSeen = server.next(isCancel);
      const { fake, done } = watch(['--cancel-on-interrupt']);
      await server.next((request) => request.method === 'GET');
      fake.interrupt(firstSignal);
      const cancel = await cancelSeen;
      fake.interrupt(second);
      expect(await done).toBe(code);
      expect(fake.err()).toBe(interruptedAgain);
      await cancel.closed;
      // Nothing more is asked, and a third signal changes nothing.
      expect(fake.interruptible()).toBe(false);
    });

    describe('a cancel the service never answers', () => {
      afterEach(() => jest.useRealTimers());

      /** Lets I/O and promises run (timers are fake here) until `done`, a bounded number of turns. */
      it.each([
        ['SIGINT', 130, 0],
        ['SIGTERM', 143, 0],
        ['SIGINT', 130, 1],
        ['SIGTERM', 143, 3],
      ] as const)('after %s is given up after 10 s, no sooner, and the command exits %i (%i polls before)', async (signal, code, polls) => {
        jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'hrtime', 'performance'] });
        server.answer = cancelAnswered('hold');
        const cancelSeen = server.next(isCancel);
        const { fake, done } = watch(['--cancel-on-interrupt', '--interval', '1s']);
        let exit: number | undefined;
        void done.then((value) => (exit = value));
        const gets = () => server.requests.filter((request) => request.method === 'GET').length;
        // Each answer read (its line out) before the clock moves to the next poll.
        for (let poll = 0; poll <= polls; poll++) {
          await turnsUntil(() => fake.lines().length > poll, `the line of poll ${poll + 1}`);
          if (poll < polls) jest.advanceTimersByTime(1000);
        }
        expect(gets()).toBe(polls + 1);
        fake.interrupt(signal);
        const cancel = await cancelSeen;
        jest.advanceTimersByTime(9_999);
        await turnsWithout(() => exit !== undefined);
        expect(exit).toBeUndefined();
        jest.advanceTimersByTime(1);
        await turnsUntil(() => exit !== undefined, 'the exit');
        expect(exit).toBe(code);
        expect(JSON.parse(fake.err())).toEqual({ event: 'interrupted', canceled: false, reason: 'the service did not answer the cancel request within 10 s; check the task on its service' });
        // The cancel request is dropped, not left open.
        await cancel.closed;
        expect(gets()).toBe(polls + 1);
      });
    });

    it('says what the cancel answered after a single signal, and exits with that signal\'s code', async () => {
      server.answer = cancelAnswered({ status: 500, body: '{"message":"cannot cancel now"}' });
      const { fake, done } = watch(['--cancel-on-interrupt']);
      await server.next((request) => request.method === 'GET');
      fake.interrupt('SIGTERM');
      expect(await done).toBe(143);
      const line = JSON.parse(fake.err()) as { event: string; canceled: boolean; reason: string };
      expect(line).toMatchObject({ event: 'interrupted', canceled: false });
      expect(line.reason).toContain('answered 500 (the service said: "cannot cancel now")');
    });

    it.each(['SIGINT', 'SIGTERM'] as const)('cancels nothing on %s once the task succeeded, while its result is still being written', async (signal) => {
      server.answer = (method) => (method === 'DELETE' ? { status: 204, body: '' } : { status: 200, body: '{"status":"succeeded","progress":100}' });
      const file = join(mkdtempSync(join(tmpdir(), 'poll-task-')), 'result.json');
      const fake = fakeIo();
      // The signal comes as the result event is printed: the result file is not written yet.
      const write = fake.io.stdout.write;
      fake.io.stdout.write = (text: string) => {
        write(text);
        if (text.includes('"event":"result"')) fake.interrupt(signal);
      };
      const code = await runCli(['watch', statusUrl, '--dialect', 'evo', '--interval', '5ms', '--cancel-on-interrupt', '--result-out', file], fake.io);
      expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(JSON.parse(fake.err())).toEqual({ event: 'interrupted', canceled: false, reason: 'the task had succeeded' });
      expect(server.requests.filter(isCancel)).toHaveLength(0);
    });
  });
});
