import { clip, excerpt, quoted } from '../util/excerpt.js';
import { exitCodeLines, usageErrorText, type ExitCodes } from './args.js';
import { runDemo, demoUsage } from './demo.js';
import type { CliIo } from './io.js';
import { runServe, serveUsage } from './serve.js';
import { runWatch, watchUsage } from './watch.js';

/** The exit codes of `poll-task` itself, before a command runs; each command's help lists its own. */
export const topExitCodes: ExitCodes = [
  [0, 'the help or the version was printed'],
  [2, 'usage error: no command, or an unknown one'],
  [4, 'the version could not be found (no package.json of poll-task above the command)'],
];

/** The help of `poll-task` itself. */
export const usage = `Usage: poll-task <command> [options]

Commands:
  watch <status-url> --dialect <name>   poll a task until it ends, with a progress bar or JSON lines
  serve [--port <n>]                     run the task simulator, to try watch against something real
  demo                                   five tasks of five services at once, against the embedded simulator

Options:
  -h, --help                             this text; poll-task help <command> or poll-task <command> --help
                                         for a command's options and exit codes
  -V, --version                          the version of poll-task

${exitCodeLines(topExitCodes)}`;

const commands: Readonly<Record<string, { run: (argv: readonly string[], io: CliIo) => Promise<number>; usage: string }>> = {
  watch: { run: runWatch, usage: watchUsage },
  serve: { run: runServe, usage: serveUsage },
  demo: { run: runDemo, usage: demoUsage },
};

/** Runs the poll-task command with `argv` (without node and the script) and resolves with its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    const version = io.version();
    if (version === undefined) {
      io.stderr.write('poll-task: the version is unknown: no package.json of poll-task was found above the command; reinstall the package.\n');
      return 4;
    }
    io.stdout.write(`${version}\n`);
    return 0;
  }
  if (name === 'help' && rest.length > 0) {
    // `poll-task help watch` is `poll-task watch --help`.
    const command = Object.hasOwn(commands, rest[0]!) ? commands[rest[0]!] : undefined;
    if (command === undefined || rest.length > 1) {
      io.stderr.write(usageErrorText(undefined, rest.length > 1 ? 'help takes one command: watch, serve or demo.' : `there is no command ${quoted(rest[0]!, 100)}; the commands are watch, serve and demo.`));
      return 2;
    }
    io.stdout.write(`${command.usage}\n`);
    return 0;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${usage}\n`);
    return 0;
  }
  if (name === undefined) {
    io.stderr.write(usageErrorText(undefined, 'give a command: watch, serve or demo.'));
    return 2;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    io.stderr.write(usageErrorText(undefined, `unknown command ${quoted(name, 100)}; the commands are watch, serve and demo.`));
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
