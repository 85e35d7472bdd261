#!/usr/bin/env node
// The poll-task command. Everything it does is in runCli; this file only wires it to the process.
import { processIo } from './io.js';
import { runCli } from './run-cli.js';

runCli(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
    // Idle keep-alive sockets may hold the event loop a few seconds more; the command is done.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (error: unknown) => {
    process.stderr.write(`poll-task: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(70);
  },
);
