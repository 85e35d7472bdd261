import { writeFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import { interval, take, throwError, timeout, type Observable, type Subscription } from 'rxjs';
import { isPollTaskError, TaskCanceledError, TaskFailedError, type PollTaskError } from '../errors.js';
import type { TaskEvent } from '../events.js';
import { affinity, benchling, deadline, deepint, evo, evoJob, httpTask, type Dialect } from '../http/index.js';
import { excerpt } from '../util/excerpt.js';
import { isTerminalStatus } from '../snapshot.js';
import { planOfStrategy } from '../core/plan.js';
import { pollStrategy } from '../strategies/poll-strategy.js';
import { timeoutAfter } from '../operators/timeout-after.js';
import { pollTask$ } from '../core/poll-task.js';
import type { TaskFailure, TaskSnapshot } from '../snapshot.js';
import type { TaskSource } from '../task-source.js';
import type { PollStrategy } from '../strategies/poll-strategy.js';
import { withBackoff } from '../strategies/with-backoff.js';
import { withInterval } from '../strategies/with-interval.js';
import { exitCodeLines, formatMs, parseBackoff, parseDuration, parseHeaders, readCommandLine, UsageError, usageErrorText, type ExitCodes } from './args.js';
import { endStateOf, endWord, useColour, type EndState } from './end-state.js';
import type { CliIo, InterruptSignal } from './io.js';
import { jsonDialect } from './json-dialect.js';
import { nextPollClock } from './next-poll.js';

/** How `poll-task watch` ends: its exit codes and what each means (its help lists them). */
export const watchExitCodes: ExitCodes = [
  [0, 'the task succeeded; the result was printed or written to --result-out'],
  [1, 'the task failed or was canceled on its service'],
  [2, 'usage error'],
  [3, '--timeout ran out'],
  [4, 'the service could not be read or answered something unreadable, the result could not be written, or any other error (said in one line)'],
  [130, 'interrupted by Ctrl-C (SIGINT)'],
  [143, 'terminated by SIGTERM'],
];

/** The help of `poll-task watch`. */
export const watchUsage = `Usage: poll-task watch <status-url> --dialect <benchling|affinity|evo|deepint|deadline|json> [options]

Polls the task at <status-url> until it ends.

Options:
  --dialect <name>         how the service talks: benchling, affinity, evo, deepint, deadline, or json (required)
  --header 'Name: value'   a request header, repeatable; also from POLL_TASK_HEADER_<NAME> variables
                           (POLL_TASK_HEADER_AUTHORIZATION=… sends authorization), which keeps tokens out of history
  --interval <duration>    ask every <duration>, e.g. 1s
  --backoff <a>..<b>       ask after <a>, growing ×1.5 up to <b>, e.g. 1s..30s (default: the service's own timing)
  --timeout <duration>     give up after <duration>, e.g. 10m (exit code 3)
  --cancel-on-interrupt    on Ctrl-C or SIGTERM, cancel the task on its service before exiting
                           (a second Ctrl-C exits at once, without waiting for the cancel)
  --json                   one JSON line per event, also on a terminal (always when the output is not a terminal)
  --result-out <file>      write the result to <file> instead of printing it
  -h, --help               this text

For --dialect json (any other JSON task API):
  --status-path <path>     where the status word is, as a dotted path, e.g. job.state (required)
  --status-map <map>       what the words mean, e.g. WORKING=running,DONE=succeeded,BROKEN=failed (required)
  --progress-path <path>   where the progress is, e.g. job.percent
  --progress-scale <n>     what progress counts up to: 100 (percent, default) or 1 (fraction)
  --result-path <path>     where the result is (default: the whole answer)
  --message-path <path>    where a failed task's message is, e.g. job.error.text

Durations: 500ms, 2s, 1.5s, 10m, 1h.

${exitCodeLines(watchExitCodes)}`;

const dialects: Readonly<Record<string, Dialect>> = { benchling, affinity, evo, deepint, deadline };

/** The exit code for an error that ended the wait. */
function exitCodeOf(error: unknown): number {
  if (!isPollTaskError(error)) return 4;
  switch (error.kind) {
    case 'task-failed':
    case 'task-canceled':
      return 1;
    case 'timeout':
      return 3;
    default:
      return 4;
  }
}

interface WatchPlan {
  readonly source: TaskSource<unknown>;
  readonly stream: Observable<TaskEvent<unknown>>;
  readonly json: boolean;
  readonly resultOut?: string;
  readonly cancelOnInterrupt: boolean;
  readonly nextIn: () => number | undefined;
}

/** The options of `poll-task watch`, but --help. */
const watchOptions = {
  dialect: { type: 'string' },
  header: { type: 'string', multiple: true },
  interval: { type: 'string' },
  backoff: { type: 'string' },
  timeout: { type: 'string' },
  'cancel-on-interrupt': { type: 'boolean' },
  json: { type: 'boolean' },
  'result-out': { type: 'string' },
  'status-path': { type: 'string' },
  'status-map': { type: 'string' },
  'progress-path': { type: 'string' },
  'progress-scale': { type: 'string' },
  'result-path': { type: 'string' },
  'message-path': { type: 'string' },
} as const;

function plan(argv: readonly string[], io: CliIo): WatchPlan | 'help' {
  const line = readCommandLine(argv, watchOptions, true);
  if (line === 'help') return 'help';
  const { values, positionals } = line;
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'give the task\'s status URL.' : `give one status URL, not ${positionals.length} arguments.`);
  }
  const url = positionals[0]!;
  const name = values.dialect;
  if (name === undefined) throw new UsageError('--dialect is required: benchling, affinity, evo, deepint, deadline or json.');
  if (name !== 'json' && dialects[name] === undefined) {
    throw new UsageError(`unknown dialect ${JSON.stringify(name)}; use benchling, affinity, evo, deepint, deadline or json.`);
  }
  const jsonOnly = ['status-path', 'status-map', 'progress-path', 'progress-scale', 'result-path', 'message-path'] as const;
  if (name !== 'json') {
    const stray = jsonOnly.find((option) => values[option] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} goes with --dialect json only.`);
  }
  if (values.interval !== undefined && values.backoff !== undefined) throw new UsageError('give --interval or --backoff, not both.');

  const headers = parseHeaders(values.header ?? [], io.env);
  let source: TaskSource<unknown>;
  try {
    if (name === 'json') {
      if (values['status-path'] === undefined || values['status-map'] === undefined) {
        throw new UsageError('--dialect json needs --status-path and --status-map, e.g. --status-path state --status-map WORKING=running,DONE=succeeded,BROKEN=failed.');
      }
      const scale = values['progress-scale'] === undefined ? 100 : Number(values['progress-scale']);
      if (!(scale > 0)) throw new UsageError(`--progress-scale takes a positive number (100 for percent, 1 for fractions), not ${JSON.stringify(values['progress-scale'])}.`);
      const dialect = jsonDialect(
        {
          statusPath: values['status-path'],
          statusMap: values['status-map'],
          progressScale: scale,
          ...(values['progress-path'] === undefined ? {} : { progressPath: values['progress-path'] }),
          ...(values['result-path'] === undefined ? {} : { resultPath: values['result-path'] }),
          ...(values['message-path'] === undefined ? {} : { messagePath: values['message-path'] }),
        },
      );
      source = httpTask({ url, dialect, headers });
    } else if (name === 'evo') {
      source = evoJob({ url, headers });
    } else {
      source = httpTask({ url, dialect: dialects[name]!, headers });
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (error instanceof TypeError || (isPollTaskError(error) && error.kind === 'unsafe-url')) throw new UsageError((error as Error).message);
    throw error;
  }

  const clock = nextPollClock();
  let strategy: PollStrategy;
  if (values.interval !== undefined) strategy = withInterval(parseDuration(values.interval, '--interval'), { scheduler: clock.scheduler });
  else if (values.backoff !== undefined) strategy = withBackoff({ ...parseBackoff(values.backoff), scheduler: clock.scheduler });
  else {
    // The service's default waiting, on the clock that tells when the next poll is due.
    const plan = planOfStrategy(source.defaultStrategy);
    strategy = plan !== undefined ? pollStrategy({ ...plan, scheduler: clock.scheduler }) : (source.defaultStrategy ?? withBackoff({ scheduler: clock.scheduler }));
  }

  let stream = pollTask$(source, strategy);
  if (values.timeout !== undefined) stream = stream.pipe(timeoutAfter(parseDuration(values.timeout, '--timeout')));
  return {
    source,
    stream,
    json: values.json === true || io.stdout.isTTY !== true,
    ...(values['result-out'] === undefined ? {} : { resultOut: values['result-out'] }),
    cancelOnInterrupt: values['cancel-on-interrupt'] === true,
    nextIn: clock.nextIn,
  };
}

/** What the command shows: JSON lines, or a live bar. */
interface Display {
  event(event: TaskEvent<unknown>): void;
  /** Writes a JSON line (JSON mode) after the event lines before it. */
  line(fields: Record<string, unknown>, to?: 'stdout' | 'stderr'): void;
  /**
   * Stops the live display; a bar draws itself one last time, saying how the wait ended, with the status of
   * `final`, the reading that ended it, when there was one.
   */
  stop(end: EndState, final?: TaskSnapshot): void;
}

function snapshotFields(snapshot: TaskSnapshot): Record<string, unknown> {
  const { taskId, runStatus, vendorStatus, progress, subtask, message, polls, elapsedMs } = snapshot;
  return { taskId, status: runStatus, vendorStatus, progress, subtask, message, polls, elapsedMs: Math.round(elapsedMs) };
}

function jsonDisplay(io: CliIo, nextIn: () => number | undefined): Display {
  // Lines go out a microtask later, in order: by then the strategy has scheduled the next poll, so a progress
  // line can say when it goes out.
  const queue: Array<() => void> = [];
  const push = (write: () => void): void => {
    queue.push(write);
    if (queue.length === 1) queueMicrotask(flush);
  };
  const flush = (): void => {
    for (let i = 0; i < queue.length; i++) queue[i]!();
    queue.length = 0;
  };
  return {
    event(event) {
      push(() => {
        const next = nextIn();
        const line = {
          event: event.type,
          ...snapshotFields(event.snapshot),
          ...(event.type === 'progress' && next !== undefined ? { nextPollInMs: Math.round(next) } : {}),
        };
        io.stdout.write(`${JSON.stringify(line)}\n`);
      });
    },
    line(fields, to = 'stdout') {
      push(() => io[to].write(`${JSON.stringify(fields)}\n`));
    },
    stop() {},
  };
}

function ttyDisplay(io: CliIo, nextIn: () => number | undefined, now: () => number): Display {
  const startedAt = now();
  const colour = useColour(io.stdout, io.env);
  let last: TaskSnapshot | undefined;
  // The progress of the last reading before the end: a task that did not succeed is drawn where it got to,
  // never as a full bar, even when its last answer counted all its steps (failed ones too) as done.
  let reached = 0;
  const bar = new SingleBar({
    stream: io.stdout as NodeJS.WritableStream,
    // While it runs: `{end}` is empty and `{next}` says when the next poll goes out. At the end `{end}` is the
    // end's word, first after the percentage so a narrow terminal still shows it, and `{next}` is empty.
    format: '{bar} {percentage}% | {end}{status}{detail} | {elapsed}{next}',
    hideCursor: true,
    clearOnComplete: false,
    barsize: 24,
    fps: 10,
  });
  const payload = () => {
    const next = nextIn();
    return {
      // The service's words, clipped: a megabyte of message must not make a megabyte of bar.
      status: last === undefined ? 'waiting for the first answer' : excerpt(last.vendorStatus),
      detail: last?.subtask !== undefined ? ` · ${excerpt(last.subtask)}` : last?.message !== undefined ? ` · ${excerpt(last.message)}` : '',
      elapsed: formatMs(now() - startedAt),
      next: next === undefined ? ' | asking…' : ` | next poll in ${formatMs(next)}`,
      end: '',
    };
  };
  bar.start(100, 0, payload());
  const ticker: Subscription = interval(250).subscribe(() => bar.update(reached, payload()));
  return {
    event(event) {
      last = event.snapshot;
      if (!isTerminalStatus(last.runStatus)) reached = Math.round((last.progress ?? 0) * 100);
      bar.update(reached, payload());
    },
    line(fields, to = 'stdout') {
      io[to].write(`${JSON.stringify(fields)}\n`);
    },
    stop(end, final) {
      if (ticker.closed) return;
      ticker.unsubscribe();
      if (final !== undefined) last = final;
      bar.update(end === 'succeeded' ? 100 : reached, { ...payload(), end: `${endWord(end, colour)} · `, next: '' });
      bar.stop();
    },
  };
}

/** A failure's code and message as the command shows them: quoted at most 200 characters long, on one line. */
function failureFields(failure: TaskFailure): { code?: string; message?: string } {
  return {
    ...(failure.code === undefined ? {} : { code: excerpt(failure.code) }),
    ...(failure.message === undefined ? {} : { message: excerpt(failure.message) }),
  };
}

/**
 * What the command says of a failed task: the service's code and words, and what to do. The library's own message
 * points at the error's `failure` field, which a user of the command cannot see; this one quotes it.
 */
function failedMessage(failure: { code?: string; message?: string }): string {
  const code = failure.code === undefined ? '' : ` with code ${failure.code}`;
  const text = failure.message === undefined ? 'the service gave no reason' : `"${failure.message}"`;
  return `The task failed on the service${code}: ${text}. Start a new task once the cause is fixed.`;
}

/** The exit code for a signal: 128 + its number, as a shell reports a process the signal ended. */
function exitCodeOfSignal(signal: InterruptSignal | undefined): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

/** Says the wait was interrupted: a JSON line on stderr, or a sentence. */
type Interrupted = (text: string, fields: Record<string, unknown>) => void;

/** How long the command waits for the service to answer a cancel request after Ctrl-C or SIGTERM. */
const cancelLimitMs = 10_000;

/**
 * Asks the service to cancel the task, for at most 10 s, says how that went and calls `done`. Returns the
 * request's subscription (undefined when nothing was sent): unsubscribing aborts it.
 */
function cancelRemote(source: TaskSource<unknown>, say: Interrupted, done: () => void): Subscription | undefined {
  if (source.cancel === undefined) {
    say('Interrupted. This service cannot cancel tasks; it runs on.', { canceled: false, reason: 'the service cannot cancel tasks' });
    done();
    return undefined;
  }
  return source
    .cancel()
    .pipe(
      take(1),
      timeout({ first: cancelLimitMs, with: () => throwError(() => new Error(`the service did not answer the cancel request within ${cancelLimitMs / 1000} s; check the task on its service`)) }),
    )
    .subscribe({
      complete() {
        say('Interrupted. The task was asked to cancel.', { canceled: true });
        done();
      },
      error(error: unknown) {
        const reason = error instanceof Error ? error.message : excerpt(error);
        say(`Interrupted. Canceling the task failed: ${reason}`, { canceled: false, reason });
        done();
      },
    });
}

/** `poll-task watch`: polls one task until it ends; resolves with the exit code. */
export async function runWatch(argv: readonly string[], io: CliIo): Promise<number> {
  let watch: WatchPlan | 'help';
  try {
    watch = plan(argv, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(usageErrorText('watch', error.message));
    return 2;
  }
  if (watch === 'help') {
    io.stdout.write(`${watchUsage}\n`);
    return 0;
  }
  const { source, stream, json, resultOut, cancelOnInterrupt, nextIn } = watch;
  const display = json ? jsonDisplay(io, nextIn) : ttyDisplay(io, nextIn, () => performance.now());

  return new Promise<number>((resolve) => {
    let settled = false;
    // The result is in (it may still be being written out): nothing is left to cancel.
    let succeeded = false;
    let offInterrupt = (): void => undefined;
    const finish = (code: number): void => {
      if (settled) return;
      settled = true;
      offInterrupt();
      resolve(code);
    };
    const subscription = stream.subscribe({
      next(event) {
        display.event(event);
        if (event.type !== 'result') return;
        succeeded = true;
        display.stop('succeeded');
        const summary = `Succeeded after ${event.snapshot.polls} polls in ${formatMs(event.snapshot.elapsedMs)}.`;
        const text = `${JSON.stringify(event.result, null, 2) ?? 'null'}\n`;
        if (resultOut === undefined) {
          if (json) display.line({ event: 'output', result: event.result ?? null });
          else io.stdout.write(`${summary}\n${text}`);
          finish(0);
          return;
        }
        writeFile(resultOut, text).then(
          () => {
            if (json) display.line({ event: 'output', resultFile: resultOut });
            else io.stdout.write(`${summary} The result is in ${resultOut}.\n`);
            finish(0);
          },
          (error: Error) => {
            io.stderr.write(`poll-task watch: the task succeeded, but its result could not be written to ${resultOut}: ${error.message}\n`);
            finish(4);
          },
        );
      },
      error(error: unknown) {
        display.stop(endStateOf(error), error instanceof TaskFailedError || error instanceof TaskCanceledError ? error.snapshot : undefined);
        const code = exitCodeOf(error);
        const failure = error instanceof TaskFailedError ? failureFields(error.failure) : undefined;
        const message = failure !== undefined ? failedMessage(failure) : error instanceof Error ? error.message : excerpt(error);
        if (json) {
          const kind = isPollTaskError(error) ? (error as PollTaskError).kind : 'error';
          display.line({ event: 'error', kind, message, ...(failure === undefined ? {} : { failure }), exitCode: code });
        } else {
          io.stderr.write(`${message}\n`);
        }
        finish(code);
      },
    });
    const say: Interrupted = (text, fields) => {
      if (json) display.line({ event: 'interrupted', ...fields }, 'stderr');
      else io.stderr.write(`${text}\n`);
    };
    let canceling: Subscription | undefined;
    offInterrupt = io.onInterrupt((signal) => {
      if (settled) return;
      const code = exitCodeOfSignal(signal);
      if (succeeded) {
        say('Interrupted while the result was being written out. The task had succeeded; nothing was canceled.', {
          canceled: false,
          reason: 'the task had succeeded',
        });
        finish(code);
        return;
      }
      if (canceling !== undefined) {
        // Asked again while the cancel is on its way: leave now, without waiting for its answer or its timeout.
        canceling.unsubscribe();
        say('Interrupted again while canceling. The cancel may not have reached the service; check the task there.', {
          canceled: false,
          reason: 'interrupted again while canceling; the cancel may not have reached the service',
        });
        finish(code);
        return;
      }
      subscription.unsubscribe();
      display.stop('interrupted');
      if (!cancelOnInterrupt) {
        say('Interrupted. The task runs on (--cancel-on-interrupt would cancel it).', { canceled: false });
        finish(code);
        return;
      }
      canceling = cancelRemote(source, say, () => finish(code));
    });
  });
}
