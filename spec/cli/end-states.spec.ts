import { endWord, useColour, type EndState } from '../../lib/cli/end-state.js';
import { barOf } from '../../lib/cli/demo.js';
import { runCli } from '../../lib/cli/run-cli.js';
import { startTaskServer, type TaskServer } from '../../lib/testing/index.js';
import { fakeIo, plain } from '../helpers/cli.js';
import { until } from '../helpers/sim.js';

/** Any SGR sequence (colour, bold…): what NO_COLOR asks to leave out. Cursor moves are not colour. */
const sgr = /\x1b\[[0-9;]*m/;

describe('the end of a wait on a terminal', () => {
  let sim: TaskServer;
  beforeEach(async () => {
    sim = await startTaskServer();
  });
  afterEach(() => sim.close());

  /** Runs watch on a fake terminal; `act` may interrupt it once it started. */
  const watchOnTerminal = async (args: string[], env: Record<string, string>, act?: (fake: ReturnType<typeof fakeIo>) => Promise<void>) => {
    const fake = fakeIo(env, true);
    const done = runCli(['watch', ...args], fake.io);
    await act?.(fake);
    const code = await done;
    const frames = plain(fake.out())
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /^[=-]+ \d+% \|/.test(line));
    return { code, raw: fake.out(), err: fake.err(), last: frames.at(-1) ?? '', frames };
  };

  // Each end: how to bring it about on the simulator, its exit code, and the bar it must leave.
  type Act = ((fake: ReturnType<typeof fakeIo>) => Promise<void>) | undefined;
  const ends: Array<[EndState, number, (sim: TaskServer) => string[], Act]> = [
    ['succeeded', 0, (s) => [s.create('evo', { reads: 3, subtasks: ['load', 'krige'] }).url, '--dialect', 'evo', '--interval', '5ms'], undefined],
    ['failed', 1, (s) => [s.create('evo', { reads: 3, outcome: 'failed', failure: { code: 'GRID_TOO_LARGE', message: 'the grid is too large' } }).url, '--dialect', 'evo', '--interval', '5ms'], undefined],
    ['canceled', 1, (s) => [s.create('evo', { reads: 3, outcome: 'canceled' }).url, '--dialect', 'evo', '--interval', '5ms'], undefined],
    ['timed out', 3, (s) => [s.create('evo', { reads: 100_000 }).url, '--dialect', 'evo', '--interval', '5ms', '--timeout', '100ms'], undefined],
    [
      'interrupted',
      130,
      (s) => [s.create('evo', { reads: 100_000 }).url, '--dialect', 'evo', '--interval', '5ms'],
      async (fake) => {
        await until(() => /\d+% \|/.test(plain(fake.out())) && !fake.out().endsWith('waiting for the first answer'), 'a first reading drawn');
        await until(() => fake.interruptible(), 'the interrupt handler');
        fake.interrupt();
      },
    ],
    [
      'error',
      4,
      (s) => {
        const task = s.create('benchling', { reads: 3 });
        s.fault({ kind: 'status', status: 403, taskId: task.id });
        return [task.url, '--dialect', 'benchling'];
      },
      undefined,
    ],
  ];

  describe.each([
    ['with colour on a terminal', {}, true],
    ['with FORCE_COLOR=1 over NO_COLOR', { FORCE_COLOR: '1', NO_COLOR: '1' }, true],
    ['plain with NO_COLOR=1', { NO_COLOR: '1' }, false],
    ['plain with FORCE_COLOR=0', { FORCE_COLOR: '0' }, false],
    ['plain with TERM=dumb', { TERM: 'dumb' }, false],
  ] as const)('%s', (_how, env, coloured) => {
    it.each(ends)('%s: its own word after the percentage, exit %i', async (...[end, code, make, act]: [EndState, number, (sim: TaskServer) => string[], Act]) => {
      const run = await watchOnTerminal(make(sim), { ...env }, act);
      expect(run.code).toBe(code);
      expect(run.last).toMatch(new RegExp(`^[=-]+ \\d+% \\| ${end} · `));
      // Only the last drawing says how it ended.
      expect(run.frames.slice(0, -1).some((frame) => frame.includes(`| ${end} · `))).toBe(false);
      if (coloured) expect(run.raw).toContain(endWord(end, true));
      else expect(run.raw + run.err).not.toMatch(sgr);
    });
  });

  it('draws a failed task where its last reading before the end left it, not full', async () => {
    // Affinity counts merges done, failed ones too: its failed answer says 100 %.
    const task = sim.create('affinity', { reads: 4, outcome: 'failed' });
    // Polls far enough apart for the bar (10 frames a second) to draw each reading.
    const run = await watchOnTerminal([task.url, '--dialect', 'affinity', '--interval', '150ms'], { NO_COLOR: '1' });
    expect(run.code).toBe(1);
    const percent = (frame: string) => Number(/ (\d+)% /.exec(frame)![1]);
    const beforeEnd = run.frames.filter((frame) => !frame.includes('| failed · ')).map(percent);
    expect(percent(run.last)).toBe(Math.max(...beforeEnd));
    expect(percent(run.last)).toBeLessThan(100);
    expect(run.last).toMatch(/\| failed · failed \| /);
  });
});

describe('useColour', () => {
  const tty = { write: () => true, isTTY: true };
  const pipe = { write: () => true, isTTY: false };
  it.each([
    [tty, {}, true],
    [pipe, {}, false],
    [tty, { NO_COLOR: '1' }, false],
    [tty, { NO_COLOR: '' }, true],
    [tty, { TERM: 'dumb' }, false],
    [tty, { FORCE_COLOR: '0' }, false],
    [tty, { FORCE_COLOR: 'false' }, false],
    [tty, { FORCE_COLOR: 'FALSE' }, false],
    [pipe, { FORCE_COLOR: '1' }, true],
    [pipe, { FORCE_COLOR: '' }, true],
    [tty, { FORCE_COLOR: '3', NO_COLOR: '1' }, true],
  ] as const)('on %o with %o: %s', (stream, env, expected) => {
    expect(useColour(stream, env)).toBe(expected);
  });

  it('gives every end its own word and, with colour, the same word in an SGR colour', () => {
    const states: EndState[] = ['succeeded', 'failed', 'canceled', 'timed out', 'interrupted', 'error'];
    expect(new Set(states.map((state) => endWord(state, false))).size).toBe(states.length);
    for (const state of states) {
      expect(endWord(state, false)).toBe(state);
      expect(endWord(state, true)).toMatch(new RegExp(`^\\x1b\\[3[1-7]m${state}\\x1b\\[39m$`));
    }
    expect(endWord('succeeded', true)).not.toBe(endWord('failed', true).replace('failed', 'succeeded'));
  });
});

describe('the demo\'s bars', () => {
  it.each([
    [undefined, 40, 40],
    ['succeeded', 70, 100],
    ['failed', 70, 70],
    ['canceled', 0, 0],
    ['timed out', 99, 99],
    ['error', 100, 100],
  ] as const)('a task whose end is %s, having reached %i %%, is drawn at %i %%', (outcome, reached, drawn) => {
    expect(barOf({ ...(outcome === undefined ? {} : { outcome }), reached })).toBe(drawn);
  });
});
