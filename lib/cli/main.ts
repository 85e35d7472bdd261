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

runCli(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
  // The outcome is decided: a signal while the command lingers ends it with that outcome's code.
  const leave = (): void => process.exit(code);
  process.on('SIGINT', leave);
  process.on('SIGTERM', leave);
  // Idle keep-alive sockets may hold the event loop a few seconds more; the command is done.
  setTimeout(() => process.exit(code), 500).unref();
}, crash);
