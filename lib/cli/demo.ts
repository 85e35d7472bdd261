import { MultiBar, type SingleBar } from 'cli-progress';
import { lastValueFrom, tap } from 'rxjs';
import { createTaskPoller } from '../combine/task-poller.js';
import { pollAll$ } from '../combine/poll-all.js';
import type { Outcome } from '../core/outcome.js';
import { cancelOnUnsubscribe } from '../operators/cancel-on-unsubscribe.js';
import { isTerminalStatus, type TaskSnapshot } from '../snapshot.js';
import { withBackoff } from '../strategies/with-backoff.js';
import { simulatedSource } from '../testing/simulated-source.js';
import { startTaskServer, type SimTask, type SimTaskSpec, type TaskServer } from '../testing/task-server.js';
import { sleep } from '../core/clock.js';
import { exitCodeLines, formatMs, readCommandLine, usageErrorText, UsageError, type ExitCodes } from './args.js';
import { endStateOf, endWord, useColour, type EndState } from './end-state.js';
import type { CliIo } from './io.js';

/** When the render's watcher leaves, and the render is cancelled on its service. */
const renderLeavesAfterMs = 3000;

/** The demo poller's longest wait between two polls of a task. */
const maxDelayMs = 1000;

/** How `poll-task demo` ends: its exit codes and what each means (its help lists them). */
export const demoExitCodes: ExitCodes = [
  [0, 'the demo ran to its summary (one of its tasks fails and one is canceled, as the demo means them to)'],
  [2, 'usage error'],
  [4, 'the demo could not run (the simulator could not start), or any other error (said in one line)'],
];

/**
 * How long the demo takes, as its help and docs/cli.md say it: its longest task's run, and up to a second more
 * for the poll that sees it end (the poller asks at most a second apart).
 */
export const demoDuration = `about ${Math.ceil(Math.max(...demoTasks().map((task) => task.runsMs)) / 1000) + 1} seconds`;

/** The help of `poll-task demo`. */
export const demoUsage = `Usage: poll-task demo [-h | --help]

Starts the task simulator on a free port of 127.0.0.1 and waits for five tasks of the five services at once:
one succeeds, one fails, one is slow, one sits behind a flaky network (503 with Retry-After, a reset
connection), and one is cancelled on its service when its watcher leaves. Ends with a summary. Takes
${demoDuration}.

${exitCodeLines(demoExitCodes)}`;

/** One task of the demo: what it is, how the simulator runs it, and what happened. */
interface DemoTask {
  readonly name: string;
  readonly service: string;
  readonly spec: SimTaskSpec & { readonly dialect: SimTask['dialect'] };
  readonly story: string;
  /** How long the task runs before it ends: its duration, or until it is cancelled. */
  readonly runsMs: number;
  task?: SimTask;
  snapshot?: TaskSnapshot;
  /** The progress of its last reading before the end, in percent: where its bar stops unless it succeeded. */
  reached: number;
  polls: number;
  outcome?: EndState;
  endedAt?: number;
}

function demoTasks(): DemoTask[] {
  const make = (name: string, service: string, spec: DemoTask['spec'], story: string, runsMs = spec.durationMs ?? 0): DemoTask => ({
    name,
    service,
    spec,
    story,
    runsMs,
    reached: 0,
    polls: 0,
  });
  return [
    make('Sequence import', 'Benchling', { dialect: 'benchling', durationMs: 2500, result: { imported: 42 } }, 'succeeds'),
    make('Company merge', 'Affinity', { dialect: 'affinity', durationMs: 2000, outcome: 'failed', failure: { code: 'MERGE_CONFLICT', message: 'the duplicate has open deals' } }, 'fails'),
    make('Kriging', 'Seequent Evo', { dialect: 'evo', durationMs: 9000, subtasks: ['load data', 'krige', 'write grid'], result: { cells: 250_000 } }, 'is slow'),
    make('Model training', 'Deep Intelligence', { dialect: 'deepint', durationMs: 4000, subtasks: ['prepare', 'train', 'evaluate'] }, 'has a flaky network'),
    make('Render frame 12', 'Deadline Cloud', { dialect: 'deadline', durationMs: 60_000 }, 'is cancelled when its watcher leaves', renderLeavesAfterMs + maxDelayMs),
  ];
}

/** How a task ended, in a word. */
function outcomeOf(outcome: Outcome<unknown>): EndState {
  return outcome.ok ? 'succeeded' : endStateOf(outcome.error);
}

/**
 * What a task's bar shows: full once it succeeded; otherwise the progress of its last reading before the end,
 * so a task that failed or was canceled is never drawn as a full bar (a service may count failed steps as done).
 */
export function barOf(task: { readonly outcome?: EndState; readonly reached: number }): number {
  return task.outcome === 'succeeded' ? 100 : task.reached;
}

/** Shows the tasks while they run: bars on a terminal, one line per change elsewhere. */
interface Board {
  update(task: DemoTask): void;
  stop(): void;
}

function lineBoard(io: CliIo, startedAt: number): Board {
  const shown = new Map<string, string>();
  const colour = useColour(io.stdout, io.env);
  return {
    update(task) {
      const s = task.snapshot;
      if (s === undefined) return;
      const percent = s.progress === undefined ? '' : ` ${String(barOf(task)).padStart(3)}%`;
      const detail = s.subtask ?? s.message;
      const end = task.outcome === undefined ? '' : `  ${endWord(task.outcome, colour)}`;
      const line = `${task.name.padEnd(16)} ${task.service.padEnd(18)} ${s.vendorStatus}${percent}${detail === undefined ? '' : `  ${detail}`}${end}`;
      if (shown.get(task.name) === line) return;
      shown.set(task.name, line);
      io.stdout.write(`[${formatMs(performance.now() - startedAt).padStart(6)}] ${line}\n`);
    },
    stop() {},
  };
}

function barBoard(io: CliIo, tasks: readonly DemoTask[]): Board {
  const colour = useColour(io.stdout, io.env);
  const multi = new MultiBar({
    stream: io.stdout as NodeJS.WritableStream,
    format: '{name} {bar} {percentage}% | {status}',
    hideCursor: true,
    clearOnComplete: false,
    barsize: 20,
    fps: 10,
  });
  let stopped = false;
  const bars = new Map<string, SingleBar>(tasks.map((task) => [task.name, multi.create(100, 0, { name: `${task.name} (${task.service})`.padEnd(36), status: 'starting' })]));
  return {
    update(task) {
      const s = task.snapshot;
      if (s === undefined) return;
      const detail = s.subtask ?? s.message;
      bars.get(task.name)?.update(barOf(task), {
        status: task.outcome === undefined ? `${s.vendorStatus}${detail === undefined ? '' : ` · ${detail}`}` : `${endWord(task.outcome, colour)} · ${s.vendorStatus}`,
      });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      multi.stop();
    },
  };
}

function summary(tasks: readonly DemoTask[], sim: TaskServer, startedAt: number): string {
  const rows = tasks.map((t) => [
    t.name,
    t.service,
    t.outcome ?? '?',
    String(t.polls),
    formatMs((t.endedAt ?? performance.now()) - startedAt),
    String(sim.requests.filter((r) => r.taskId === t.task?.id).length),
  ]);
  const header = ['Task', 'Service', 'Outcome', 'Polls', 'Elapsed', 'Requests the server saw'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => (i >= 3 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  const faults = sim.requests.filter((r) => r.fault !== undefined).length;
  // The simulator's own counts: the requests it received, and the most it was answering at once.
  const stats = sim.stats();
  return [
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `The server saw ${stats.requests} requests (${faults} answered with an injected fault and retried); at most ${stats.mostInFlight} waited for an answer at once (the poller's budget: 3).`,
    ...tasks.map((t) => `- ${t.name} ${t.story}: ${t.outcome ?? 'no outcome'}.`),
    '',
  ].join('\n');
}

/** `poll-task demo`: the five services at once against the embedded simulator; resolves with the exit code. */
export async function runDemo(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    if (readCommandLine(argv, {}, false) === 'help') {
      io.stdout.write(`${demoUsage}\n`);
      return 0;
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(usageErrorText('demo', error.message));
    return 2;
  }

  // Answers take 50 ms, as a real service's do, so the poller's budget shows in the server's count.
  const sim = await startTaskServer({ latencyMs: 50 });
  const startedAt = performance.now();
  const tasks = demoTasks();
  for (const demo of tasks) {
    const { dialect, ...spec } = demo.spec;
    demo.task = sim.create(dialect, spec);
  }
  const [imported, merge, kriging, training, render] = tasks as [DemoTask, DemoTask, DemoTask, DemoTask, DemoTask];
  sim.fault({ kind: 'status', status: 503, retryAfter: '1', taskId: training.task!.id, times: 2 });
  sim.fault({ kind: 'reset', taskId: training.task!.id });

  io.stdout.write(`poll-task demo: a task simulator runs on ${sim.url}; five tasks of five services, watched at once.\n\n`);
  const board = io.stdout.isTTY === true ? barBoard(io, tasks) : lineBoard(io, startedAt);
  const poller = createTaskPoller({ strategy: withBackoff({ initialDelayMs: 250, factor: 1.5, maxDelayMs }), maxConcurrentRequests: 3 });
  const record = (demo: DemoTask, snapshot: TaskSnapshot, polls: number): void => {
    demo.snapshot = snapshot;
    if (!isTerminalStatus(snapshot.runStatus)) demo.reached = Math.round((snapshot.progress ?? 0) * 100);
    demo.polls = polls;
    board.update(demo);
  };
  const end = (demo: DemoTask, outcome: EndState): void => {
    demo.outcome = outcome;
    demo.endedAt = performance.now();
    board.update(demo);
  };

  try {
    const batch = [imported, merge, kriging, training];
    const sources = batch.map((demo) => simulatedSource(demo.task!));
    const batchDone = lastValueFrom(
      pollAll$(sources, { poller, mode: 'settle' }).pipe(
        tap((event) => {
          if (event.type === 'progress') {
            const demo = batch.find((d) => d.task!.url === event.task.id)!;
            if (event.snapshot !== undefined) record(demo, event.snapshot, event.snapshot.polls);
            // A terminal snapshot ends that task now; the batch's result comes when all have ended.
            if (event.snapshot !== undefined && isTerminalStatus(event.snapshot.runStatus) && demo.endedAt === undefined) end(demo, event.snapshot.runStatus as EndState);
            return;
          }
          event.results.forEach((outcome, i) => {
            const demo = batch[i]!;
            if (demo.endedAt === undefined) end(demo, outcomeOf(outcome));
            else demo.outcome = outcomeOf(outcome);
          });
        }),
      ),
    );

    // The render's watcher leaves after three seconds; it asked to cancel and watches alone, so the render is
    // cancelled on the farm. A second look, which does not ask to cancel, follows it to CANCELED.
    const renderSource = simulatedSource(render.task!);
    let firstLoopPolls = 0;
    const watcher = poller
      .watch(renderSource)
      .pipe(cancelOnUnsubscribe())
      .subscribe((event) => {
        firstLoopPolls = event.snapshot.polls;
        record(render, event.snapshot, firstLoopPolls);
      });
    const renderDone = new Promise<void>((resolve) => {
      void sleep(renderLeavesAfterMs).then(() => {
        watcher.unsubscribe();
        poller.watch(renderSource).subscribe({
          next: (event) => record(render, event.snapshot, firstLoopPolls + event.snapshot.polls),
          error: (error: unknown) => {
            const snapshot = (error as { snapshot?: TaskSnapshot }).snapshot;
            if (snapshot !== undefined) record(render, snapshot, firstLoopPolls + snapshot.polls);
            end(render, outcomeOf({ ok: false, error }));
            resolve();
          },
          complete: () => {
            end(render, 'succeeded');
            resolve();
          },
        });
      });
    });

    await Promise.all([batchDone, renderDone]);
    board.stop();
    io.stdout.write(summary(tasks, sim, startedAt));
    return 0;
  } finally {
    board.stop();
    await sim.close();
  }
}
