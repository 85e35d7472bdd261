#!/usr/bin/env node
// The poll-task command. Everything it does is in runCli; this file only wires it to the process.
import { processIo } from './io.js';
import { runCli, unexpectedErrorLine } from './run-cli.js';

// An error nothing else handled, wherever it came from, ends the command with one line and exit 4: never a
// stack trace, and never exit 1, which says the task failed.
const crash = (error: unknown): void => {
  process.stderr.write(`${unexpectedErrorLine(error)}\n`);
  process.exit(4);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

// Listening for good, so the signals are never left to their default action, which would end the process at
// once, even in the instant between a command's own listener going and its outcome being known. While a command
// listens itself (watch), it decides; once the outcome is known, a signal ends the process with it; otherwise
// the process ends as the signal would have ended it.
let decided: number | undefined;
const onSignal = (signal: NodeJS.Signals, code: number) => () => {
  if (decided !== undefined) process.exit(decided);
  if (process.listenerCount(signal) === 1) process.exit(code);
};
process.on('SIGINT', onSignal('SIGINT', 130));
process.on('SIGTERM', onSignal('SIGTERM', 143));

runCli(process.argv.slice(2), processIo()).then((code) => {
  decided = code;
  process.exitCode = code;
  // Idle keep-alive sockets may hold the event loop a few seconds more; the command is done.
  setTimeout(() => process.exit(code), 500).unref();
}, crash);
