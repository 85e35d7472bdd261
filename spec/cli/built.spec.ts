import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { endWord } from '../../lib/cli/end-state.js';
import { startTaskServer, type TaskServer } from '../../lib/testing/index.js';
import { cliPath, plain, runBuilt } from '../helpers/cli.js';

const manifest = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };

/**
 * Runs `args` (a shell command line) in a pseudo-terminal (util-linux's script), with the colour variables
 * cleared and then set as `env` says; gives the exit code and what the terminal received.
 */
function onTerminal(command: string, env: Record<string, string> = {}, limitMs = 20_000): Promise<{ code: number | null; text: string }> {
  const base: Record<string, string | undefined> = { ...process.env, COLUMNS: '120', TERM: 'xterm' };
  delete base.NO_COLOR;
  delete base.FORCE_COLOR;
  return new Promise((done, fail) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...base, ...env } });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const limit = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${command} did not end within ${limitMs} ms; it showed: ${text}`));
    }, limitMs);
    child.on('close', (code) => {
      clearTimeout(limit);
      done({ code, text });
    });
  });
}

/** The lines a person would read on the terminal, one redraw a line, blank ones left out. */
const framesOf = (text: string) =>
  plain(text)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

// The command as a user runs it: the built bin, a real process, real signals, a real terminal.
describe('the built poll-task command', () => {
  let sim: TaskServer;
  beforeAll(() => {
    if (!existsSync(cliPath)) throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
  });
  beforeEach(async () => {
    sim = await startTaskServer();
  });
  afterEach(() => sim.close());

  it('watches a task and prints JSON lines when its output is not a terminal', async () => {
    const task = sim.create('evo', { reads: 3, result: { cells: 4 } });
    const run = await runBuilt(['watch', task.url, '--dialect', 'evo', '--interval', '20ms']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string; result?: unknown });
    expect(lines.map((l) => l.event)).toEqual(['progress', 'progress', 'result', 'output']);
    expect(lines.at(-1)?.result).toEqual({ cells: 4 });
  });

  it('cancels the task on SIGINT with --cancel-on-interrupt, and exits 130', async () => {
    const task = sim.create('deadline', { reads: 10_000 });
    let sent = false;
    const run = await runBuilt(['watch', task.url, '--dialect', 'deadline', '--interval', '20ms', '--cancel-on-interrupt'], {
      env: { POLL_TASK_HEADER_AUTHORIZATION: 'AWS4-HMAC-SHA256 Credential=secret-key-id-777' },
      onStdout: (text, child) => {
        if (!sent && text.split('\n').length > 2) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(run.code).toBe(130);
    expect(sim.cancelRequested(task.id)).toBe(true);
    expect(sim.requests.find((r) => r.method === 'PATCH')?.headers.authorization).toBe('[redacted]');
    expect(run.stderr.trim()).toBe('{"event":"interrupted","canceled":true}');
    expect(run.stdout + run.stderr).not.toContain('secret-key-id-777');
  });

  it('shows a live progress bar on a terminal and ends with the result', async () => {
    const task = sim.create('deepint', { reads: 4, subtasks: ['prepare', 'train'] });
    const org = (task.ids as Record<string, string>).organizationId;
    const command = [process.execPath, cliPath, 'watch', task.url, '--dialect', 'deepint', '--interval', '100ms', '--header', `'x-deepint-organization: ${org}'`].join(' ');
    const screen = await onTerminal(command);
    expect(screen.code).toBe(0);
    const frames = framesOf(screen.text);
    // The bar went through the task's states, and the final screen is the full bar, then the result.
    expect(frames).toContainEqual(expect.stringMatching(/^-+ 0% \| pending · prepare \| \S+ \| /));
    expect(frames).toContainEqual(expect.stringMatching(/^=+-+ 66% \| running · train \| /));
    const end = frames.findIndex((line) => line.startsWith('Succeeded after'));
    expect(frames[end - 1]).toMatch(/^=+ 100% \| succeeded · success · train \| \d+(\.\d)?(ms|s)$/);
    expect(screen.text).toContain(endWord('succeeded', true));
    expect(frames.slice(end)).toEqual([expect.stringMatching(/^Succeeded after 4 polls in \d+(\.\d)?(ms|s)\.$/), '{', `"source": "src-${task.id}"`, '}']);
  });

  describe.each([
    ['in colour', {}, true],
    ['plain with NO_COLOR', { NO_COLOR: '1' }, false],
  ] as const)('on a terminal, %s', (_how, env, coloured) => {
    it('ends the bar of a failed task with "failed", where its last reading before the end left it', async () => {
      const task = sim.create('affinity', { reads: 4, outcome: 'failed', failure: { code: 'MERGE_CONFLICT', message: 'the duplicate has open deals' } });
      const screen = await onTerminal([process.execPath, cliPath, 'watch', task.url, '--dialect', 'affinity', '--interval', '150ms'].join(' '), env);
      expect(screen.code).toBe(1);
      const bars = framesOf(screen.text).filter((line) => /^[=-]+ \d+% \|/.test(line));
      const last = bars.at(-1)!;
      expect(last).toMatch(/^=+-+ \d+% \| failed · failed \| \d+(\.\d)?(ms|s)$/);
      expect(Number(/ (\d+)% /.exec(last)![1])).toBe(Math.max(...bars.slice(0, -1).map((bar) => Number(/ (\d+)% /.exec(bar)![1]))));
      if (coloured) expect(screen.text).toContain(endWord('failed', true));
      else expect(screen.text).not.toMatch(/\x1b\[[0-9;]*m/);
    });
  });

  it.each([
    ['dist/cjs', cliPath],
    ['dist/esm', resolve(__dirname, '../../dist/esm/cli/main.js')],
  ])('prints the version of package.json with --version and -V, from %s', async (_where, script) => {
    for (const flag of ['--version', '-V']) {
      const run = await new Promise<{ code: number | null; out: string }>((done) => {
        const child = spawn(process.execPath, [script, flag], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
        child.on('close', (code) => done({ code, out }));
      });
      expect(run).toEqual({ code: 0, out: `${manifest.version}\n` });
    }
  });

  it('prints its own version when run through a link in a project\'s node_modules/.bin, not the project\'s', async () => {
    const project = mkdtempSync(join(tmpdir(), 'poll-task-consumer-'));
    try {
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '9.9.9' }));
      mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
      const link = join(project, 'node_modules', '.bin', 'poll-task');
      symlinkSync(cliPath, link);
      const out = await new Promise<string>((done) => {
        const child = spawn(process.execPath, [link, '--version'], { stdio: ['ignore', 'pipe', 'inherit'] });
        let text = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        child.on('close', () => done(text));
      });
      expect(out).toBe(`${manifest.version}\n`);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('exits 4 with one line when the demo cannot start its simulator', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poll-task-demo-'));
    try {
      const preload = join(dir, 'no-listen.js');
      writeFileSync(preload, "require('net').Server.prototype.listen = function () { throw new Error('listening is not allowed here'); };");
      const run = await runBuilt(['demo'], { env: { NODE_OPTIONS: `--require ${preload}` } });
      expect(run.code).toBe(4);
      expect(run.stderr).toBe('poll-task: listening is not allowed here\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the demo on a terminal: the failed and the cancelled task end short of a full bar, each with its end in colour', async () => {
    const screen = await onTerminal([process.execPath, cliPath, 'demo'].join(' '), {}, 60_000);
    expect(screen.code).toBe(0);
    const frames = framesOf(screen.text);
    const lastBar = (name: string) => frames.filter((line) => line.startsWith(name) && /\d+% \|/.test(line)).at(-1)!;
    const percent = (line: string) => Number(/ (\d+)% \|/.exec(line)![1]);
    expect(lastBar('Company merge')).toMatch(/\| failed · failed$/);
    expect(percent(lastBar('Company merge'))).toBeLessThan(100);
    expect(lastBar('Render frame 12')).toMatch(/\| canceled · /);
    expect(percent(lastBar('Render frame 12'))).toBeLessThan(100);
    expect(lastBar('Sequence import')).toMatch(/ 100% \| succeeded · /);
    for (const end of ['succeeded', 'failed', 'canceled'] as const) expect(screen.text).toContain(endWord(end, true));
  }, 70_000);

  it('runs the demo to its summary in under a minute and exits 0', async () => {
    const run = await runBuilt(['demo'], { limitMs: 60_000 });
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    const row = (name: string) => lines.find((line) => line.startsWith(name))?.split(/\s{2,}/);
    expect(row('Sequence import')?.slice(0, 3)).toEqual(['Sequence import', 'Benchling', 'succeeded']);
    expect(row('Company merge')?.slice(0, 3)).toEqual(['Company merge', 'Affinity', 'failed']);
    expect(row('Kriging')?.slice(0, 3)).toEqual(['Kriging', 'Seequent Evo', 'succeeded']);
    expect(row('Model training')?.slice(0, 3)).toEqual(['Model training', 'Deep Intelligence', 'succeeded']);
    expect(row('Render frame 12')?.slice(0, 3)).toEqual(['Render frame 12', 'Deadline Cloud', 'canceled']);
    // Elsewhere than a terminal, a line per change; a task's last line ends with its end, a failed one short of 100 %.
    const changes = plain(run.stdout).split('\n').filter((line) => line.startsWith('['));
    const lastChange = (name: string) => changes.filter((line) => line.includes(`] ${name} `)).at(-1)!;
    expect(lastChange('Company merge')).toMatch(/ failed +(\d+)% +failed$/);
    expect(Number(/ (\d+)% /.exec(lastChange('Company merge'))![1])).toBeLessThan(100);
    expect(lastChange('Render frame 12')).toMatch(/ canceled$/);
    expect(lastChange('Sequence import')).toMatch(/ succeeded$/);
    expect(run.stdout).toMatch(/The server saw \d+ requests \(3 answered with an injected fault and retried\); at most [123] waited for an answer at once/);
  }, 70_000);
});
