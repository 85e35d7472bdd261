// Engine overhead: 5,000 in-memory tasks at once, each done after 20 readings, 1 ms between readings. CPU per
// reading and heap per waiting task for pollTask$ and its peers, in the same run, as ratios to
// @smithy/util-waiter and to a hand-written async loop (the floor).
import { createHttpPoller, type OperationState } from '@azure/core-lro';
import { createWaiter, WaiterState } from '@smithy/util-waiter';
import { defer, lastValueFrom, Observable, of, repeat, takeWhile, last } from 'rxjs';
import polling from 'rx-polling';
import { pollTask$, toResult, withInterval, type TaskReading, type TaskSource } from 'poll-task';
import { machine, table, writeSection } from './report';

const TASKS = Number(process.env.ENGINE_TASKS ?? 5000);
const READINGS = 20;
const DELAY = 1;

const running = { runStatus: 'running', vendorStatus: 'running', raw: null } as const;

/** An in-memory task: its n-th status read says "done" once it has been read READINGS times. */
function task(): { read: () => boolean } {
  let reads = 0;
  return { read: () => ++reads >= READINGS };
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

type Runner = (count: number) => Promise<void>;

const runners: ReadonlyArray<[string, Runner]> = [
  [
    'hand-written async loop (the floor)',
    (count) =>
      Promise.all(
        Array.from({ length: count }, async () => {
          const t = task();
          for (;;) {
            if (await Promise.resolve(t.read())) return;
            await sleep(DELAY);
          }
        }),
      ).then(() => undefined),
  ],
  [
    'RxJS defer + repeat + takeWhile',
    (count) =>
      Promise.all(
        Array.from({ length: count }, () => {
          const t = task();
          return lastValueFrom(defer(() => of(t.read())).pipe(repeat({ delay: DELAY }), takeWhile((done) => !done, true), last()));
        }),
      ).then(() => undefined),
  ],
  [
    '@smithy/util-waiter',
    (count) =>
      Promise.all(
        Array.from({ length: count }, async () => {
          const t = task();
          const result = await createWaiter({ client: t, maxWaitTime: 600, minDelay: DELAY / 1000, maxDelay: DELAY / 1000 }, {}, async (client) => ({
            state: client.read() ? WaiterState.SUCCESS : WaiterState.RETRY,
          }));
          if (result.state !== WaiterState.SUCCESS) throw new Error(`smithy waiter ended ${result.state}`);
        }),
      ).then(() => undefined),
  ],
  [
    '@azure/core-lro',
    (count) =>
      Promise.all(
        Array.from({ length: count }, async () => {
          const t = task();
          const request = { method: 'POST', url: 'https://example.test/op' };
          const respond = (status: string) => ({
            flatResponse: { status },
            rawResponse: { statusCode: 200, request, headers: {}, body: { status } },
          });
          const poller = createHttpPoller<unknown, OperationState<unknown>>(
            {
              sendInitialRequest: async () => ({
                flatResponse: { status: 'Running' },
                rawResponse: { statusCode: 202, request, headers: { 'operation-location': 'https://example.test/op/1' }, body: { status: 'Running' } },
              }),
              sendPollRequest: async () => respond(t.read() ? 'Succeeded' : 'Running'),
            },
            { intervalInMs: DELAY },
          );
          await poller.pollUntilDone();
        }),
      ).then(() => undefined),
  ],
  [
    'rx-polling',
    (count) => {
      // rx-polling watches document visibility and has no Node mode: a page that is never hidden stands in.
      (globalThis as { document?: unknown }).document ??= Object.assign(new EventTarget(), { hidden: false });
      return Promise.all(
        Array.from({ length: count }, () => {
          const t = task();
          return lastValueFrom(polling(defer(() => of(t.read())), { interval: DELAY }).pipe(takeWhile((done: boolean) => !done, true), last()));
        }),
      ).then(() => undefined);
    },
  ],
  [
    'poll-task pollTask$',
    (count) =>
      Promise.all(
        Array.from({ length: count }, () => {
          const t = task();
          const reading$ = new Observable<TaskReading<number>>((subscriber) => {
            subscriber.next(t.read() ? { runStatus: 'succeeded', vendorStatus: 'done', result: 1, raw: null } : running);
            subscriber.complete();
          });
          const source: TaskSource<number> = { id: 'task', read: () => reading$ };
          return lastValueFrom(pollTask$(source, withInterval(DELAY)).pipe(toResult()));
        }),
      ).then(() => undefined),
  ],
];

interface Measure {
  readonly name: string;
  readonly cpuPerReading: number; // µs
  readonly heapPerTask: number; // bytes
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

async function measureOne(name: string, run: Runner): Promise<Measure> {
  // A full run first, so the measured ones see optimised code (the JIT) for every implementation alike.
  await run(TASKS);
  // CPU: a run of its own, with nothing else going on.
  gc();
  const cpu = process.cpuUsage();
  await run(TASKS);
  const used = process.cpuUsage(cpu);
  // Heap: another run, sampling the live heap (after a forced collection) while the tasks wait.
  gc();
  const baseline = process.memoryUsage().heapUsed;
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    await sleep(5);
    while (sampling) {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      await sleep(15);
    }
  })();
  await run(TASKS);
  sampling = false;
  await sampler;
  return { name, cpuPerReading: (used.user + used.system) / (TASKS * READINGS), heapPerTask: peak / TASKS };
}

export async function engine(): Promise<void> {
  if ((globalThis as { gc?: () => void }).gc === undefined) throw new Error('run with node --expose-gc (npm run bench does)');
  const results: Measure[] = [];
  for (const [name, run] of runners) results.push(await measureOne(name, run));
  const smithy = results.find((r) => r.name === '@smithy/util-waiter')!;
  const floor = results[0]!;
  const ours = results.find((r) => r.name === 'poll-task pollTask$')!;
  const rows = results.map((r) => [
    r.name,
    r.cpuPerReading.toFixed(2),
    (r.cpuPerReading / smithy.cpuPerReading).toFixed(2),
    (r.cpuPerReading / floor.cpuPerReading).toFixed(2),
    Math.round(r.heapPerTask).toLocaleString('en'),
    (r.heapPerTask / smithy.heapPerTask).toFixed(2),
    (r.heapPerTask / floor.heapPerTask).toFixed(2),
  ]);
  const cpuHolds = ours.cpuPerReading <= smithy.cpuPerReading;
  const heapHolds = ours.heapPerTask <= smithy.heapPerTask;
  const text = [
    `${TASKS.toLocaleString('en')} in-memory tasks at once, each done after ${READINGS} readings, ${DELAY} ms between readings; ${machine()}. Each implementation runs once to warm up, once to measure CPU (user + system time divided by the readings) and once to measure heap (the largest live heap after a forced collection while its tasks wait, divided by the tasks).`,
    '',
    table(['implementation', 'CPU µs / reading', '× smithy', '× floor', 'heap bytes / waiting task', '× smithy', '× floor'], rows),
    '',
    `- CPU per reading at or below @smithy/util-waiter's: ${cpuHolds ? 'holds' : `MISSED by ${((ours.cpuPerReading / smithy.cpuPerReading - 1) * 100).toFixed(0)} %`}.`,
    `- Heap per waiting task at or below @smithy/util-waiter's: ${heapHolds ? 'holds' : `MISSED by ${((ours.heapPerTask / smithy.heapPerTask - 1) * 100).toFixed(0)} %`}.`,
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (process.env.BENCH_WRITE_DOCS !== '0') writeSection('benchmarks.md', 'engine', text);
}
