import { clip, excerpt } from '../util/excerpt.js';
import { runDemo, demoUsage } from './demo.js';
import type { CliIo } from './io.js';
import { runServe, serveUsage } from './serve.js';
import { runWatch, watchUsage } from './watch.js';

export const usage = `Usage: poll-task <command> [options]

Commands:
  watch <status-url> --dialect <name>   poll a task until it ends, with a progress bar or JSON lines
  serve [--port <n>]                     run the task simulator, to try watch against something real
  demo                                   five tasks of five services at once, against the embedded simulator

Run poll-task <command> --help for a command's options.`;

const commands: Readonly<Record<string, { run: (argv: readonly string[], io: CliIo) => Promise<number>; usage: string }>> = {
  watch: { run: runWatch, usage: watchUsage },
  serve: { run: runServe, usage: serveUsage },
  demo: { run: runDemo, usage: demoUsage },
};

/** Runs the poll-task command with `argv` (without node and the script) and resolves with its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${usage}\n`);
    return 0;
  }
  if (name === undefined) {
    io.stderr.write(`poll-task: give a command.\n\n${usage}\n`);
    return 2;
  }
  const command = commands[name];
  if (command === undefined) {
    io.stderr.write(`poll-task: unknown command ${JSON.stringify(name)}.\n\n${usage}\n`);
    return 2;
  }
  return command.run(rest, io);
}

/**
 * The one line the command prints for an error it did not foresee, e.g.
 * `poll-task: RangeError: Maximum call stack size exceeded`: the error's name and message on one line,
 * clipped to 1000 characters, never its stack. Never throws, whatever was thrown.
 */
export function unexpectedErrorLine(error: unknown): string {
  let text: string;
  try {
    if (error instanceof Error) {
      const message = typeof error.message === 'string' ? error.message : excerpt(error.message);
      text = error.name === 'Error' || typeof error.name !== 'string' ? message : `${error.name}: ${message}`;
    } else {
      text = excerpt(error);
    }
  } catch {
    text = 'an error that cannot be shown';
  }
  return `poll-task: ${clip(text, 1000)}`;
}
