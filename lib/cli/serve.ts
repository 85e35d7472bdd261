import { parseArgs } from 'node:util';
import { startTaskServer } from '../testing/task-server.js';
import { UsageError } from './args.js';
import type { CliIo } from './io.js';

export const serveUsage = `Usage: poll-task serve [--port <n>] [--host <address>]

Runs the task simulator (Benchling, Affinity, Evo, Deep Intelligence and Deadline Cloud task APIs) until Ctrl-C,
for trying poll-task watch against something real.

Options:
  --port <n>          the port to listen on (default: a free one)
  --host <address>    the address to listen on (default: 127.0.0.1)
  --help              this text`;

/** `poll-task serve`: runs the simulator until interrupted; resolves with the exit code. */
export async function runServe(argv: readonly string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean' } } }));
    if (values.port !== undefined && !/^\d+$/.test(values.port)) throw new UsageError(`--port takes a port number, not ${JSON.stringify(values.port)}.`, serveUsage);
  } catch (error) {
    io.stderr.write(`poll-task serve: ${(error as Error).message}\n\n${serveUsage}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(`${serveUsage}\n`);
    return 0;
  }
  let sim;
  try {
    sim = await startTaskServer({ port: values.port === undefined ? 0 : Number(values.port), host: values.host ?? '127.0.0.1' });
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
      `  curl -s -X POST ${url}/_sim/tasks -d '{"dialect":"evo","durationMs":20000,"subtasks":["load","krige"]}'`,
      'Watch it, with the "url" of the answer:',
      `  poll-task watch ${url}/compute/orgs/…/status --dialect evo`,
      'Inject a fault into the next request:',
      `  curl -s -X POST ${url}/_sim/faults -d '{"kind":"status","status":503,"retryAfter":"2"}'`,
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
