// HTTP overhead: CPU per status request through httpTask, next to a bare GET + JSON parse of the same URL, with
// cross-fetch and with the platform's fetch; the simulator runs in a child process. Connection reuse is checked
// by the connections the simulator saw opened.
import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import crossFetch from 'cross-fetch';
import { lastValueFrom } from 'rxjs';
import { httpTask, benchling, type Fetch } from 'poll-task/http';
import type { SimTask } from 'poll-task/testing';
import { machine, table, writeSection } from './report';
import { post, serveInChild } from './server';

const REQUESTS = Number(process.env.HTTP_REQUESTS ?? 6000);
const ROUNDS = Number(process.env.HTTP_ROUNDS ?? 15);
/** Fresh processes per fetch: each optimizes the code its own way, so one process's ratio is one sample. */
const PROCESSES = Number(process.env.HTTP_PROCESSES ?? 5);
// Measured: both paths settle after about 2,500 requests of each kind in a fresh process (JIT tiers, inline caches).
const WARM_UP = 3000;

const fetches: Record<string, Fetch> = {
  'cross-fetch': crossFetch as Fetch,
  'the platform fetch': (target, init) => fetch(target, init),
};

async function connections(url: string): Promise<number> {
  return ((await (await fetch(`${url}/_sim/stats`)).json()) as { connections: number }).connections;
}

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

/** What one worker process measured. */
interface Sample {
  readonly bare: number;
  readonly ours: number;
  /** Connections the simulator saw opened while this process sent its requests. */
  readonly opened: number;
}

/**
 * One worker process: the bare GET and httpTask, warmed up alike, then measured in ROUNDS alternating turns of
 * REQUESTS / ROUNDS requests each; the median turn of each is its figure. (Measuring one after the other, once
 * each, favoured whichever went second: it ran on code the first had already warmed.)
 */
async function measure(url: string, taskUrl: string, fetcher: Fetch): Promise<Sample> {
  const bare = async (): Promise<void> => {
    const response = await fetcher(taskUrl, { method: 'GET', headers: { accept: 'application/json' } });
    await response.json();
  };
  const source = httpTask({ url: taskUrl, dialect: benchling, fetch: fetcher });
  const ours = async (): Promise<void> => {
    await lastValueFrom(source.read());
  };
  const before = await connections(url);
  for (let i = 0; i < WARM_UP; i++) await bare();
  for (let i = 0; i < WARM_UP; i++) await ours();
  const perTurn = Math.ceil(REQUESTS / ROUNDS);
  const bareTurns: number[] = [];
  const ourTurns: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareTurns.push(await cpuOf(bare, perTurn));
    ourTurns.push(await cpuOf(ours, perTurn));
  }
  // Includes the one or two connections of the stats requests themselves.
  return { bare: median(bareTurns), ours: median(ourTurns), opened: (await connections(url)) - before };
}

/** Runs one measurement in a fresh process (this file, forked with its arguments). */
function inWorker(url: string, taskUrl: string, fetchName: string): Promise<Sample> {
  return new Promise((done, failed) => {
    const child = fork(resolve(__dirname, 'http.js'), ['--worker', url, taskUrl, fetchName], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (sample) => done(sample as Sample));
    child.once('exit', (code) => failed(new Error(`the HTTP bench worker for ${fetchName} ended with code ${code} before it answered`)));
  });
}

export async function http(): Promise<void> {
  const { url, child } = await serveInChild();
  try {
    const task = (await post(`${url}/_sim/tasks`, { dialect: 'benchling', durationMs: 3_600_000 })) as SimTask;
    const rows: string[][] = [];
    const ratios: Record<string, number> = {};
    for (const name of Object.keys(fetches)) {
      const samples: Sample[] = [];
      for (let run = 0; run < PROCESSES; run++) samples.push(await inWorker(url, task.url, name));
      const each = samples.map((sample) => sample.ours / sample.bare);
      ratios[name] = median(each);
      rows.push([
        name,
        median(samples.map((sample) => sample.bare)).toFixed(1),
        median(samples.map((sample) => sample.ours)).toFixed(1),
        median(each).toFixed(2),
        `${Math.min(...each).toFixed(2)} – ${Math.max(...each).toFixed(2)}`,
        String(Math.max(...samples.map((sample) => sample.opened))),
      ]);
    }
    const perTurn = Math.ceil(REQUESTS / ROUNDS);
    const perProcess = 2 * (WARM_UP + perTurn * ROUNDS);
    const holds = ratios['cross-fetch']! <= 1.15;
    const text = [
      `Sequential status requests of one Benchling task to the simulator in a child process. Each row is ${PROCESSES} fresh processes; each process warms up with ${WARM_UP.toLocaleString('en')} requests of each kind, then alternates ${ROUNDS} turns of ${perTurn} bare GETs and ${perTurn} httpTask reads, and its figure is its median turn. The row shows the median over the processes and the range of their ratios; ${machine()}.`,
      '',
      table(
        ['fetch', 'bare GET + JSON parse, CPU µs / request', 'httpTask read(), CPU µs / request', 'ratio', 'ratio range', `connections opened per process for ${perProcess.toLocaleString('en')} requests`],
        rows,
      ),
      '',
      `- httpTask at most 1.15× the CPU of a bare cross-fetch GET per status request: ${holds ? `holds (${ratios['cross-fetch']!.toFixed(2)}×)` : `MISSED: ${ratios['cross-fetch']!.toFixed(2)}×`}.`,
    ].join('\n');
    process.stdout.write(`${text}\n`);
    if (process.env.BENCH_WRITE_DOCS !== '0') writeSection('benchmarks.md', 'http', text);
  } finally {
    child.kill('SIGINT');
  }
}

if (process.argv[2] === '--worker') {
  const [url, taskUrl, fetchName] = process.argv.slice(3) as [string, string, string];
  measure(url, taskUrl, fetches[fetchName]!).then(
    (sample) => process.send!(sample, () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
