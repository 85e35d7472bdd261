import { hostNameOf } from '../testing/control-hosts.js';
import { startTaskServer } from '../testing/task-server.js';
import { exitCodeLines, readCommandLine, UsageError, usageErrorText, type ExitCodes, type OptionValues } from './args.js';
import type { CliIo } from './io.js';

/** How `poll-task serve` ends: its exit codes and what each means (its help lists them). */
export const serveExitCodes: ExitCodes = [
  [0, 'stopped by Ctrl-C (SIGINT) or SIGTERM, after closing the simulator'],
  [2, 'usage error'],
  [4, 'the simulator could not listen (the port is taken, the address is not this machine\'s), or any other error (said in one line)'],
];

/** The help of `poll-task serve`. */
export const serveUsage = `Usage: poll-task serve [--port <n>] [--host <address>] [--allowed-host <name>]

Runs the task simulator (Benchling, Affinity, Evo, Deep Intelligence and Deadline Cloud task APIs) until Ctrl-C,
for trying poll-task watch against something real.

Options:
  --port <n>              the port to listen on (default: a free one)
  --host <address>        the address to listen on (default: 127.0.0.1)
  --allowed-host <name>   another host name the control API (/_sim/) answers under, besides localhost, the
                          loopback addresses and --host; repeatable
  -h, --help              this text

${exitCodeLines(serveExitCodes)}`;

/** The options of `poll-task serve`, but --help. */
const serveOptions = { port: { type: 'string' }, host: { type: 'string' }, 'allowed-host': { type: 'string', multiple: true } } as const;

/** `poll-task serve`: runs the simulator until interrupted; resolves with the exit code. */
export async function runServe(argv: readonly string[], io: CliIo): Promise<number> {
  let values: OptionValues<typeof serveOptions>;
  try {
    const line = readCommandLine(argv, serveOptions, false);
    if (line === 'help') {
      io.stdout.write(`${serveUsage}\n`);
      return 0;
    }
    values = line.values;
    if (values.port !== undefined && !(/^\d+$/.test(values.port) && Number(values.port) <= 65535)) {
      throw new UsageError(`--port takes a port number, not ${JSON.stringify(values.port)}.`);
    }
    for (const name of values['allowed-host'] ?? []) {
      if (hostNameOf(name) === undefined) throw new UsageError(`--allowed-host takes a host name or address without a port, e.g. sim, not ${JSON.stringify(name)}.`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(usageErrorText('serve', error.message));
    return 2;
  }
  let sim;
  try {
    sim = await startTaskServer({ port: values.port === undefined ? 0 : Number(values.port), host: values.host ?? '127.0.0.1', allowedHosts: values['allowed-host'] ?? [] });
  } catch (error) {
    io.stderr.write(`poll-task serve: could not listen: ${(error as Error).message}\n`);
    return 4;
  }
  const { url } = sim;
  io.stdout.write(
    [
      `Task simulator listening on ${url}`,
      '',
      'Create a task (dialect: benchling, affinity, evo, deepint or deadline; durationMs, outcome, result, …):',
      `  curl -s -X POST ${url}/_sim/tasks -H 'content-type: application/json' -d '{"dialect":"evo","durationMs":20000,"subtasks":["load","krige"]}'`,
      'Watch it, with the "url" of the answer:',
      `  poll-task watch ${url}/compute/orgs/…/status --dialect evo`,
      'Inject a fault into the next request:',
      `  curl -s -X POST ${url}/_sim/faults -H 'content-type: application/json' -d '{"kind":"status","status":503,"retryAfter":"2"}'`,
      'See the requests it received:',
      `  curl -s ${url}/_sim/requests`,
      '',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const off = io.onInterrupt(() => {
      off();
      resolve();
    });
  });
  await sim.close();
  io.stdout.write('Simulator stopped.\n');
  return 0;
}
