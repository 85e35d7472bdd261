import { parseArgs } from 'node:util';
import { MultiBar, type SingleBar } from 'cli-progress';
import { lastValueFrom, tap } from 'rxjs';
import { createTaskPoller } from '../combine/task-poller.js';
import { pollAll$ } from '../combine/poll-all.js';
import type { Outcome } from '../core/outcome.js';
import { isPollTaskError } from '../errors.js';
import { cancelOnUnsubscribe } from '../operators/cancel-on-unsubscribe.js';
import { isTerminalStatus, type TaskSnapshot } from '../snapshot.js';
import { withBackoff } from '../strategies/with-backoff.js';
import { simulatedSource } from '../testing/simulated-source.js';
import { startTaskServer, type SimTask, type SimTaskSpec, type TaskServer } from '../testing/task-server.js';
import { sleep } from '../core/clock.js';
import { formatMs } from './args.js';
import type { CliIo } from './io.js';

export const demoUsage = `Usage: poll-task demo [--help]

Starts the task simulator on a free port of 127.0.0.1 and waits for five tasks of the five services at once:
one succeeds, one fails, one is slow, one sits behind a flaky network (503 with Retry-After, a reset
connection), and one is cancelled on its service when its watcher leaves. Ends with a summary. Takes about
fifteen seconds.`;

/** One task of the demo: what it is, how the simulator runs it, and what happened. */
interface DemoTask {
  readonly name: string;
  readonly service: string;
  readonly spec: SimTaskSpec & { readonly dialect: SimTask['dialect'] };
  readonly story: string;
  task?: SimTask;
  snapshot?: TaskSnapshot;
  polls: number;
  outcome?: string;
  endedAt?: number;
}

function demoTasks(): DemoTask[] {
  const make = (name: string, service: string, spec: DemoTask['spec'], story: string): DemoTask => ({ name, service, spec, story, polls: 0 });
  return [
    make('Sequence import', 'Benchling', { dialect: 'benchling', durationMs: 2500, result: { imported: 42 } }, 'succeeds'),
    make('Company merge', 'Affinity', { dialect: 'affinity', durationMs: 2000, outcome: 'failed', failure: { code: 'MERGE_CONFLICT', message: 'the duplicate has open deals' } }, 'fails'),
    make('Kriging', 'Seequent Evo', { dialect: 'evo', durationMs: 9000, subtasks: ['load data', 'krige', 'write grid'], result: { cells: 250_000 } }, 'is slow'),
    make('Model training', 'Deep Intelligence', { dialect: 'deepint', durationMs: 4000, subtasks: ['prepare', 'train', 'evaluate'] }, 'has a flaky network'),
    make('Render frame 12', 'Deadline Cloud', { dialect: 'deadline', durationMs: 60_000 }, 'is cancelled when its watcher leaves'),
  ];
}

/** How a task ended, in a word. */
function outcomeOf(outcome: Outcome<unknown>): string {
  if (outcome.ok) return 'succeeded';
  if (!isPollTaskError(outcome.error)) return 'error';
  switch (outcome.error.kind) {
    case 'task-failed':
      return 'failed';
    case 'task-canceled':
      return 'canceled';
    case 'timeout':
      return 'timed out';
    default:
      return outcome.error.kind;
  }
}

/** Shows the tasks while they run: bars on a terminal, one line per change elsewhere. */
interface Board {
  update(task: DemoTask): void;
  stop(): void;
}

function lineBoard(io: CliIo, startedAt: number): Board {
  const shown = new Map<string, string>();
  return {
    update(task) {
      const s = task.snapshot;
      if (s === undefined) return;
      const percent = s.progress === undefined ? '' : ` ${String(Math.round(s.progress * 100)).padStart(3)}%`;
      const detail = s.subtask ?? s.message;
      const line = `${task.name.padEnd(16)} ${task.service.padEnd(18)} ${s.vendorStatus}${percent}${detail === undefined ? '' : `  ${detail}`}`;
      if (shown.get(task.name) === line) return;
      shown.set(task.name, line);
      io.stdout.write(`[${formatMs(performance.now() - startedAt).padStart(6)}] ${line}\n`);
    },
    stop() {},
  };
}

function barBoard(io: CliIo, tasks: readonly DemoTask[]): Board {
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
      const done = task.outcome === 'succeeded';
      bars.get(task.name)?.update(done ? 100 : Math.round((s.progress ?? 0) * 100), {
        status: `${task.outcome ?? s.vendorStatus}${detail === undefined || task.outcome !== undefined ? '' : ` · ${detail}`}`,
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
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: { help: { type: 'boolean' } } }));
  } catch (error) {
    io.stderr.write(`poll-task demo: ${(error as Error).message}\n\n${demoUsage}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(`${demoUsage}\n`);
    return 0;
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
  const poller = createTaskPoller({ strategy: withBackoff({ initialDelayMs: 250, factor: 1.5, maxDelayMs: 1000 }), maxConcurrentRequests: 3 });
  const record = (demo: DemoTask, snapshot: TaskSnapshot, polls: number): void => {
    demo.snapshot = snapshot;
    demo.polls = polls;
    board.update(demo);
  };
  const end = (demo: DemoTask, outcome: string): void => {
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
            if (event.snapshot !== undefined && isTerminalStatus(event.snapshot.runStatus) && demo.endedAt === undefined) end(demo, event.snapshot.runStatus);
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
      void sleep(3000).then(() => {
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
