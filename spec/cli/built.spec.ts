import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startTaskServer, type TaskServer } from '../../lib/testing/index.js';
import { cliPath, plain, runBuilt } from '../helpers/cli.js';

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
    // util-linux's script gives the command a pseudo-terminal and copies what it shows.
    const screen = await new Promise<{ code: number | null; text: string }>((done) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COLUMNS: '120' } });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      child.on('close', (code) => done({ code, text }));
    });
    expect(screen.code).toBe(0);
    const frames = plain(screen.text)
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
    // The bar went through the task's states, and the final screen is the full bar, then the result.
    expect(frames).toContainEqual(expect.stringMatching(/^-+ 0% \| pending · prepare \| \S+ \| /));
    expect(frames).toContainEqual(expect.stringMatching(/^=+-+ 66% \| running · train \| /));
    const end = frames.findIndex((line) => line.startsWith('Succeeded after'));
    expect(frames[end - 1]).toMatch(/^=+ 100% \| success · train \| \d+(\.\d)?(ms|s) \| done$/);
    expect(frames.slice(end)).toEqual([expect.stringMatching(/^Succeeded after 4 polls in \d+(\.\d)?(ms|s)\.$/), '{', `"source": "src-${task.id}"`, '}']);
  });

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
    expect(run.stdout).toMatch(/The server saw \d+ requests \(3 answered with an injected fault and retried\); at most [123] waited for an answer at once/);
  }, 70_000);
});
