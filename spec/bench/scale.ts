// Scale: 100,000 tasks waiting at once through one createTaskPoller (in-memory sources, a reading every
// second): heap per waiting task, timers alive, and the event loop's delay (p99) while they poll.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Observable, type Subscription } from 'rxjs';
import { createTaskPoller, withInterval, type TaskReading, type TaskSource } from 'poll-task';
import { machine, table, writeSection } from './report';

const TASKS = Number(process.env.SCALE_TASKS ?? 100_000);
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

export async function scale(): Promise<void> {
  const reading: TaskReading<never> = { runStatus: 'running', vendorStatus: 'running', raw: null };
  const reading$ = new Observable<TaskReading<never>>((subscriber) => {
    subscriber.next(reading);
    subscriber.complete();
  });
  gc();
  const timersBefore = timers();
  const baseline = process.memoryUsage().heapUsed;
  const poller = createTaskPoller({ strategy: withInterval(1000) });
  const subscriptions: Subscription[] = [];
  for (let i = 0; i < TASKS; i++) {
    const source: TaskSource<never> = { id: `task-${i}`, read: () => reading$ };
    subscriptions.push(poller.watch(source).subscribe());
  }
  await sleep(1500); // every task has read once and waits for its next poll
  gc();
  const heapPerTask = (process.memoryUsage().heapUsed - baseline) / TASKS;
  const alive = timers() - timersBefore;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  await sleep(5000);
  delay.disable();
  const p99 = delay.percentile(99) / 1e6;
  const sent = poller.stats().sent;
  for (const subscription of subscriptions) subscription.unsubscribe();
  const text = [
    `${TASKS.toLocaleString('en')} tasks watched through one createTaskPoller, each read at once and then every second (in-memory sources); ${machine()}.`,
    '',
    table(
      ['heap per waiting task', 'timers alive', 'event-loop delay p99 while they poll', 'requests sent in 6.5 s'],
      [[`${Math.round(heapPerTask).toLocaleString('en')} bytes`, alive.toLocaleString('en'), `${p99.toFixed(1)} ms`, sent.toLocaleString('en')]],
    ),
    '',
    `- Under 3 KB of heap per waiting task: ${heapPerTask < 3072 ? 'holds' : `MISSED by ${Math.round(heapPerTask - 3072).toLocaleString('en')} bytes (${((heapPerTask / 3072 - 1) * 100).toFixed(0)} %)`}.`,
    `- Event-loop delay p99 under 50 ms: ${p99 < 50 ? 'holds' : `MISSED: ${p99.toFixed(1)} ms`}.`,
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (process.env.BENCH_WRITE_DOCS !== '0') writeSection('benchmarks.md', 'scale', text);
}
