import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, runBuilt } from '../helpers/cli.js';
import { startRawServer, type RawServer } from '../helpers/raw-server.js';

const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

// The built command, as a user runs it, against a service answering the worst it can: whatever the body, the
// command ends with its documented exit code and a short JSON line, never a stack trace.
describe('the built command against bad bodies', () => {
  let server: RawServer;
  let answer = { status: 200, body: '' };
  beforeAll(async () => {
    if (!existsSync(cliPath)) throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
    server = await startRawServer(() => answer);
  });
  afterAll(() => server.close());

  it.each([
    { what: '10 KB of "["', status: 200, body: '['.repeat(10_000), kind: 'decode', code: 4 },
    { what: '100 KB of "["', status: 200, body: '['.repeat(100_000), kind: 'decode', code: 4 },
    { what: 'a status answer nested 10,000 levels deep', status: 200, body: `{"status":"RUNNING","x":${deep(10_000)}}`, kind: 'decode', code: 4 },
    { what: 'a status answer nested 100,000 levels deep', status: 200, body: `{"status":"RUNNING","x":${deep(100_000)}}`, kind: 'decode', code: 4 },
    { what: 'a status word nested 10,000 levels deep', status: 200, body: `{"status":${deep(10_000)}}`, kind: 'decode', code: 4 },
    { what: 'an error answer nested 10,000 levels deep', status: 400, body: `{"message":${deep(10_000)}}`, kind: 'transport', code: 4 },
    { what: 'an error answer of 100 KB of "["', status: 503, body: '['.repeat(100_000), kind: 'transport', code: 4 },
    { what: 'a result nested 10,000 levels deep', status: 200, body: `{"status":"SUCCEEDED","response":${deep(10_000)}}`, kind: 'decode', code: 4 },
    { what: 'a result nested 100,000 levels deep', status: 200, body: `{"status":"SUCCEEDED","response":${deep(100_000)}}`, kind: 'decode', code: 4 },
    { what: 'a 1 MB status word', status: 200, body: JSON.stringify({ status: 'Q'.repeat(1_000_000) }), kind: 'unknown-status', code: 4 },
    { what: 'a 1 MB failure message', status: 200, body: JSON.stringify({ status: 'FAILED', message: 'm'.repeat(1_000_000) }), kind: 'task-failed', code: 1 },
    { what: 'a 1 MB error text', status: 403, body: 'e'.repeat(1_000_000), kind: 'transport', code: 4 },
  ])('$what: exit $code, a short "$kind" error line, no stack', async ({ status, body, kind, code }) => {
    answer = { status, body };
    const run = await runBuilt(['watch', `${server.url}/api/v2/tasks/t1`, '--dialect', 'benchling', '--interval', '10ms']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code, stderr: '' });
    expect(run.stdout.length).toBeLessThan(2000);
    const last = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { event: string; kind: string; exitCode: number };
    expect(last).toMatchObject({ event: 'error', kind, exitCode: code });
  });

  describe('an error the command did not foresee: one line on stderr and exit 4, never a stack', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'poll-task-crash-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    let preloads = 0;
    const preload = (code: string): string => {
      const file = join(dir, `preload-${++preloads}.js`);
      writeFileSync(file, code);
      return file;
    };

    it.each([
      ['thrown from a timer', "setTimeout(() => { throw new RangeError('out of stack\\nsomewhere'); }, 0);", 'poll-task: RangeError: out of stack somewhere'],
      ['a rejection nobody handles', "setTimeout(() => { Promise.reject(new Error('lost')); }, 0);", 'poll-task: lost'],
      ['something other than an Error, nested too deeply to print', "setTimeout(() => { let v = []; for (let i = 0; i < 100000; i++) v = [v]; throw v; }, 0);", /^poll-task: \[+…$/],
      ['a failing write inside the command', "process.stdout.write = () => { throw new TypeError('stdout is gone'); };", 'poll-task: TypeError: stdout is gone'],
    ])('%s', async (_what, code, line) => {
      // `watch` against a task that runs for ever: only the unforeseen error ends it.
      answer = { status: 200, body: '{"status":"RUNNING"}' };
      const run = await runBuilt(['watch', `${server.url}/api/v2/tasks/t1`, '--dialect', 'benchling', '--interval', '50ms'], {
        env: { NODE_OPTIONS: `--require ${preload(code)}` },
      });
      expect(run.code).toBe(4);
      expect(run.stderr.endsWith('\n')).toBe(true);
      expect(run.stderr.split('\n')).toHaveLength(2);
      expect(run.stderr.trimEnd()).toEqual(typeof line === 'string' ? line : expect.stringMatching(line));
      expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+\)$/m);
    });
  });
});
