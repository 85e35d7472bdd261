// HTTP overhead: CPU per status request through httpTask, next to a bare GET + JSON parse of the same URL, with
// cross-fetch and with the platform's fetch; the simulator runs in a child process. Connection reuse is checked
// by the connections the simulator saw opened.
import crossFetch from 'cross-fetch';
import { lastValueFrom } from 'rxjs';
import { httpTask, benchling, type Fetch } from 'poll-task/http';
import type { SimTask } from 'poll-task/testing';
import { machine, table, writeSection } from './report';
import { post, serveInChild } from './server';

const REQUESTS = Number(process.env.HTTP_REQUESTS ?? 3000);

async function connections(url: string): Promise<number> {
  return ((await (await fetch(`${url}/_sim/stats`)).json()) as { connections: number }).connections;
}

async function cpuOf(run: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 200; i++) await run(); // warm up
  const start = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / REQUESTS;
}

export async function http(): Promise<void> {
  const { url, child } = await serveInChild();
  try {
    const task = (await post(`${url}/_sim/tasks`, { dialect: 'benchling', durationMs: 3_600_000 })) as SimTask;
    const bare = (fetcher: Fetch) => async () => {
      const response = await fetcher(task.url, { method: 'GET', headers: { accept: 'application/json' } });
      await response.json();
    };
    const through = (fetcher: Fetch) => {
      const source = httpTask({ url: task.url, dialect: benchling, fetch: fetcher });
      return async () => {
        await lastValueFrom(source.read());
      };
    };
    const platform: Fetch = (target, init) => fetch(target, init);
    const rows: string[][] = [];
    const figures: Record<string, number> = {};
    for (const [name, fetcher] of [['cross-fetch', crossFetch as Fetch], ['the platform fetch', platform]] as const) {
      const before = await connections(url);
      const bareCpu = await cpuOf(bare(fetcher));
      const oursCpu = await cpuOf(through(fetcher));
      // Includes the one or two connections of the stats requests themselves.
      const opened = (await connections(url)) - before;
      figures[name] = oursCpu / bareCpu;
      rows.push([name, bareCpu.toFixed(1), oursCpu.toFixed(1), (oursCpu / bareCpu).toFixed(2), String(opened)]);
    }
    const holds = figures['cross-fetch']! <= 1.15;
    const text = [
      `${REQUESTS.toLocaleString('en')} sequential status requests of one Benchling task to the simulator in a child process, after 200 to warm up; ${machine()}.`,
      '',
      table(['fetch', 'bare GET + JSON parse, CPU µs / request', 'httpTask read(), CPU µs / request', 'ratio', `connections opened for ${2 * (REQUESTS + 200)} requests`], rows),
      '',
      `- httpTask at most 1.15× the CPU of a bare cross-fetch GET per status request: ${holds ? 'holds' : `MISSED: ${figures['cross-fetch']!.toFixed(2)}×`}.`,
    ].join('\n');
    process.stdout.write(`${text}\n`);
    if (process.env.BENCH_WRITE_DOCS !== '0') writeSection('benchmarks.md', 'http', text);
  } finally {
    child.kill('SIGINT');
  }
}
