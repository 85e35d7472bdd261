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

const ROUNDS = Number(process.env.HTTP_ROUNDS ?? 9);

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** CPU µs per request of `count` sequential runs. */
async function cpuOf(run: () => Promise<void>, count: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

/**
 * The bare GET and httpTask, warmed up alike, then measured in ROUNDS alternating turns of REQUESTS / ROUNDS
 * requests each; the median turn of each is its figure. (Measuring one after the other, once each, favoured
 * whichever went second: it ran on code the first had already warmed.)
 */
async function compare(bare: () => Promise<void>, ours: () => Promise<void>): Promise<[bare: number, ours: number]> {
  for (let i = 0; i < 200; i++) await bare();
  for (let i = 0; i < 200; i++) await ours();
  const perTurn = Math.ceil(REQUESTS / ROUNDS);
  const bareTurns: number[] = [];
  const ourTurns: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareTurns.push(await cpuOf(bare, perTurn));
    ourTurns.push(await cpuOf(ours, perTurn));
  }
  return [median(bareTurns), median(ourTurns)];
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
      const [bareCpu, oursCpu] = await compare(bare(fetcher), through(fetcher));
      // Includes the one or two connections of the stats requests themselves.
      const opened = (await connections(url)) - before;
      figures[name] = oursCpu / bareCpu;
      rows.push([name, bareCpu.toFixed(1), oursCpu.toFixed(1), (oursCpu / bareCpu).toFixed(2), String(opened)]);
    }
    const holds = figures['cross-fetch']! <= 1.15;
    const text = [
      `Sequential status requests of one Benchling task to the simulator in a child process: 200 of each kind to warm up, then ${ROUNDS} alternating turns of ${Math.ceil(REQUESTS / ROUNDS).toLocaleString('en')} bare GETs and ${Math.ceil(REQUESTS / ROUNDS).toLocaleString('en')} httpTask reads; the median turn is shown; ${machine()}.`,
      '',
      table(['fetch', 'bare GET + JSON parse, CPU µs / request', 'httpTask read(), CPU µs / request', 'ratio', `connections opened for ${2 * (Math.ceil(REQUESTS / ROUNDS) * ROUNDS + 200)} requests`], rows),
      '',
      `- httpTask at most 1.15× the CPU of a bare cross-fetch GET per status request: ${holds ? 'holds' : `MISSED: ${figures['cross-fetch']!.toFixed(2)}×`}.`,
    ].join('\n');
    process.stdout.write(`${text}\n`);
    if (process.env.BENCH_WRITE_DOCS !== '0') writeSection('benchmarks.md', 'http', text);
  } finally {
    child.kill('SIGINT');
  }
}
