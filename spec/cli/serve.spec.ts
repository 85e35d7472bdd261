import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from '../../lib/cli/run-cli.js';
import { fakeIo } from '../helpers/cli.js';
import { until } from '../helpers/sim.js';

describe('poll-task serve', () => {
  it('runs the simulator, says how to use it, and stops on Ctrl-C', async () => {
    const fake = fakeIo();
    const done = runCli(['serve'], fake.io);
    await until(() => fake.out().includes('Press Ctrl-C to stop.'), 'the simulator to start');
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(fake.out())![1]!;
    expect(fake.out()).toContain(`curl -s -X POST ${url}/_sim/tasks -H 'content-type: application/json' -d '{"dialect":"evo"`);
    const created = (await (await fetch(`${url}/_sim/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dialect: 'evo', reads: 1 }) })).json()) as { url: string };
    expect((await fetch(created.url)).status).toBe(200);
    fake.interrupt();
    expect(await done).toBe(0);
    expect(fake.out()).toContain('Simulator stopped.');
    await expect(fetch(created.url)).rejects.toThrow();
  });

  it('answers the control API under each --allowed-host, and under no other name', async () => {
    const fake = fakeIo();
    const done = runCli(['serve', '--allowed-host', 'sim', '--allowed-host', 'jobs.internal'], fake.io);
    await until(() => fake.out().includes('Press Ctrl-C to stop.'), 'the simulator to start');
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(fake.out())![1]!;
    const statusFor = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${url}/_sim/stats`, { headers: { host }, agent: false }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
        request.end();
      });
    expect(await statusFor('sim:8080')).toBe(200);
    expect(await statusFor('JOBS.internal')).toBe(200);
    expect(await statusFor('evil.test')).toBe(403);
    fake.interrupt();
    expect(await done).toBe(0);
  });

  it.each([
    [['--port', 'eighty'], '--port takes a port number, not "eighty".'],
    [['--port', '65536'], '--port takes a port number, not "65536".'],
    [['--allowed-host', 'sim:8080'], '--allowed-host takes a host name or address without a port, e.g. sim, not "sim:8080".'],
    [['--allowed-host', 'evil.test.'], '--allowed-host takes a host name or address without a port, e.g. sim, not "evil.test.".'],
    [['--verbose'], '--verbose is not an option of this command.'],
  ])('exits 2 for %j', async (args, message) => {
    const fake = fakeIo();
    expect(await runCli(['serve', ...args], fake.io)).toBe(2);
    expect(fake.err()).toBe(`poll-task serve: ${message}\nRun poll-task serve --help for its options and exit codes.\n`);
  });

  it('exits 4 when it cannot listen, saying why', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const fake = fakeIo();
      expect(await runCli(['serve', '--port', String(port)], fake.io)).toBe(4);
      expect(fake.err()).toMatch(new RegExp(`^poll-task serve: could not listen: .*EADDRINUSE.*${port}.*\n$`));
      expect(fake.out()).toBe('');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('exits 0 on SIGTERM as on Ctrl-C', async () => {
    const fake = fakeIo();
    const done = runCli(['serve'], fake.io);
    await until(() => fake.out().includes('Press Ctrl-C to stop.'), 'the simulator to start');
    fake.interrupt('SIGTERM');
    expect(await done).toBe(0);
    expect(fake.out()).toContain('Simulator stopped.');
  });
});
