import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { jsonDialect } from '../../lib/cli/json-dialect.js';
import { runCli } from '../../lib/cli/run-cli.js';
import { startTaskServer } from '../../lib/testing/index.js';
import { fakeIo } from '../helpers/cli.js';
import { startRawServer, type RawServer } from '../helpers/raw-server.js';

const controls = /[\u0000-\u001f\u007f-\u009f]/;
const jsonArgs = ['--dialect', 'json', '--status-path', 'state', '--status-map', 'WORKING=running,BROKEN=failed,DONE=succeeded', '--interval', '1ms'];

interface ErrorLine {
  event: string;
  kind: string;
  message: string;
  failure?: { code?: string; message?: string };
  exitCode: number;
}

describe('the JSON error line of a failed task', () => {
  let server: RawServer;
  let body = '';
  beforeAll(async () => {
    server = await startRawServer(() => ({ status: 200, body }));
  });
  afterAll(() => server.close());

  /** Watches a task whose answer is `answer` (JSON), with --message-path `path`; gives the error line. */
  const failedWith = async (answer: unknown, path = 'error.text', env: Record<string, string> = {}) => {
    body = JSON.stringify(answer);
    const fake = fakeIo(env);
    const code = await runCli(['watch', `${server.url}/jobs/1`, ...jsonArgs, '--message-path', path], fake.io);
    const lines = fake.out().trim().split('\n');
    return { code, line: JSON.parse(lines.at(-1)!) as ErrorLine, out: fake.out(), err: fake.err() };
  };

  it('carries the service\'s code and message, and quotes them in its message instead of pointing at a field', async () => {
    const sim = await startTaskServer();
    try {
      const task = sim.create('evo', { reads: 2, outcome: 'failed', failure: { code: 'GRID_TOO_LARGE', message: 'the grid has 10^12 cells' } });
      const fake = fakeIo();
      expect(await runCli(['watch', task.url, '--dialect', 'evo', '--interval', '1ms'], fake.io)).toBe(1);
      const line = fake.lines().at(-1) as unknown as ErrorLine;
      expect(line).toEqual({
        event: 'error',
        kind: 'task-failed',
        message: 'The task failed on the service with code GRID_TOO_LARGE: "the grid has 10^12 cells". Start a new task once the cause is fixed.',
        failure: { code: 'GRID_TOO_LARGE', message: 'the grid has 10^12 cells' },
        exitCode: 1,
      });
      expect(fake.out()).not.toContain('error.failure');
    } finally {
      await sim.close();
    }
  });

  it('is the line docs/cli.md shows, for the failure it shows', async () => {
    const documented = readFileSync(resolve(__dirname, '../../docs/cli.md'), 'utf8')
      .split('\n')
      .find((line) => line.startsWith('{"event":"error","kind":"task-failed"'));
    const shown = JSON.parse(documented!) as ErrorLine;
    const sim = await startTaskServer();
    try {
      const task = sim.create('evo', { reads: 2, outcome: 'failed', failure: { code: shown.failure!.code!, message: shown.failure!.message! } });
      const fake = fakeIo();
      expect(await runCli(['watch', task.url, '--dialect', 'evo', '--interval', '1ms'], fake.io)).toBe(shown.exitCode);
      expect(fake.out().trim().split('\n').at(-1)).toBe(documented);
    } finally {
      await sim.close();
    }
  });

  it('says the service gave no reason when it gave none, with an empty failure', async () => {
    const { code, line } = await failedWith({ state: 'BROKEN' });
    expect(code).toBe(1);
    expect(line.failure).toEqual({});
    expect(line.message).toBe('The task failed on the service: the service gave no reason. Start a new task once the cause is fixed.');
  });

  it('says it in a sentence on stderr on a terminal, control characters written out', async () => {
    body = JSON.stringify({ state: 'BROKEN', error: { text: 'bad\x1b[2J\x07 grid' } });
    const fake = fakeIo({ NO_COLOR: '1' }, true);
    expect(await runCli(['watch', `${server.url}/jobs/1`, ...jsonArgs, '--message-path', 'error.text'], fake.io)).toBe(1);
    expect(fake.err()).toBe('The task failed on the service: "bad\\x1b[2J\\x07 grid". Start a new task once the cause is fixed.\n');
  });

  it('quotes a huge message clipped to 200 characters, saying its length', async () => {
    const { line, out } = await failedWith({ state: 'BROKEN', error: { text: 'm'.repeat(1_000_000) } });
    expect(line.failure?.message).toBe(`${'m'.repeat(200)}… (1000000 characters)`);
    expect(out.length).toBeLessThan(2000);
  });

  it('never shows a header value the command sent, even when the service echoes it in the failure', async () => {
    const secret = 'tok-9f8e7d6c5b4a';
    const { line, out, err } = await failedWith({ state: 'BROKEN', error: { text: `token Bearer ${secret} expired`, code: secret } }, 'error.text', {
      POLL_TASK_HEADER_AUTHORIZATION: `Bearer ${secret}`,
    });
    expect(line.failure?.message).toBe('token [redacted] expired');
    expect(out + err).not.toContain(secret);
    expect(out + err).not.toContain(secret.slice(4));
  });

  it('whatever the service\'s text, quotes it on one line of at most 200 characters with its length, no control character', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 400 }), async (text) => {
        const { code, line } = await failedWith({ state: 'BROKEN', error: { text } });
        expect(code).toBe(1);
        const shown = line.failure?.message ?? '';
        expect(shown).not.toMatch(controls);
        expect(shown).not.toMatch(/\s{2}|\n/);
        const cut = /… \((\d+) characters\)$/.exec(shown);
        if (cut !== null) expect(Number(cut[1])).toBe(text.length);
        expect(shown.length - (cut?.[0].length ?? 0)).toBeLessThanOrEqual(200);
        if (!controls.test(text) && !/\s/.test(text) && text.length <= 200) expect(shown).toBe(text);
        expect(line.message).toContain(`"${shown}"`);
      }),
      { numRuns: 40 },
    );
  });
});

describe('--message-path', () => {
  const dialect = (messagePath?: string) =>
    jsonDialect({ statusPath: 'state', statusMap: 'WORKING=running,BROKEN=failed,DONE=succeeded', progressScale: 100, ...(messagePath === undefined ? {} : { messagePath }) });
  const read = (body: unknown, messagePath?: string) => dialect(messagePath).toReading(body, { status: 200, url: 'http://x/jobs/1', headers: {} } as never);

  const deep = (levels: number, leaf: unknown): { path: string; body: unknown } => {
    let body: unknown = leaf;
    for (let i = levels - 1; i >= 0; i--) body = { [`k${i}`]: body };
    return { path: Array.from({ length: levels }, (_, i) => `k${i}`).join('.'), body: { state: 'BROKEN', ...(body as object) } };
  };

  it.each([
    ['a string', { state: 'BROKEN', why: 'disk full' }, 'why', { message: 'disk full' }],
    ['a nested string', { state: 'BROKEN', job: { error: { text: 'disk full' } } }, 'job.error.text', { message: 'disk full' }],
    ['an array item', { state: 'BROKEN', errors: [{ text: 'first' }, { text: 'second' }] }, 'errors.1.text', { message: 'second' }],
    ['an empty string', { state: 'BROKEN', why: '' }, 'why', { message: '' }],
    ['a number', { state: 'BROKEN', why: 0 }, 'why', { message: '0' }],
    ['a negative fraction', { state: 'BROKEN', why: -1.5 }, 'why', { message: '-1.5' }],
    ['a boolean', { state: 'BROKEN', why: false }, 'why', { message: 'false' }],
    ['null', { state: 'BROKEN', why: null }, 'why', { message: 'null' }],
    ['an object', { state: 'BROKEN', why: { code: 7 } }, 'why', { message: '{"code":7}' }],
    ['an array', { state: 'BROKEN', why: ['a', 1] }, 'why', { message: '["a",1]' }],
    ['nothing there', { state: 'BROKEN' }, 'why', {}],
    ['a path through a string', { state: 'BROKEN', why: 'text' }, 'why.length', {}],
    ['a path through null', { state: 'BROKEN', why: null }, 'why.text', {}],
    ['an inherited name', { state: 'BROKEN' }, 'constructor.name', {}],
    ['__proto__', JSON.parse('{"state":"BROKEN","__proto__":{"text":"own"}}'), '__proto__.text', { message: 'own' }],
    ['an empty path', { state: 'BROKEN', '': 'blank key' }, '', { message: 'blank key' }],
  ])('finds %s', (_what, body, path, failure) => {
    expect(read(body, path)).toMatchObject({ runStatus: 'failed', failure });
    expect((read(body, path) as { failure: object }).failure).toEqual(failure);
  });

  it('quotes an object of any size or depth as a short preview', () => {
    let nested: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) nested = [nested];
    const { failure } = read({ state: 'BROKEN', why: nested }, 'why') as { failure: { message: string } };
    expect(failure.message.length).toBeLessThan(400);
    expect(failure.message.startsWith('[[[[')).toBe(true);
  });

  it('follows a path 5,000 steps deep', () => {
    const { path, body } = deep(5000, 'deep down');
    expect(read(body, path)).toMatchObject({ failure: { message: 'deep down' } });
  });

  it('reads nothing but for a failed answer, and nothing without the option', () => {
    expect(read({ state: 'WORKING', why: 'x' }, 'why')).not.toHaveProperty('failure');
    expect(read({ state: 'DONE', why: 'x' }, 'why')).not.toHaveProperty('failure');
    expect(read({ state: 'BROKEN', why: 'x' })).not.toHaveProperty('failure');
  });

  it('goes with --dialect json only', async () => {
    const fake = fakeIo();
    expect(await runCli(['watch', 'http://x/t', '--dialect', 'benchling', '--message-path', 'why'], fake.io)).toBe(2);
    expect(fake.err()).toBe('poll-task watch: --message-path goes with --dialect json only.\nRun poll-task watch --help for its options and exit codes.\n');
  });
});
