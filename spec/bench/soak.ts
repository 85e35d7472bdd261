// The soak: tasks of the five services, 200 at a time, through one poller with a request budget, against the
// simulator in a child process injecting 10 % random faults, for SOAK_SECONDS (default 600). Every task must
// end exactly once, and the poller process's memory must stay flat. Figures go to docs/reliability.md.
import { createTaskPoller, isPollTaskError, withInterval } from 'poll-task';
import { simulatedSource, type SimTask } from 'poll-task/testing';
import { machine, table, writeSection } from './report';
import { post, serveInChild } from './server';

const seconds = Number(process.env.SOAK_SECONDS ?? 600);
const inFlightTasks = 200;
const dialects = ['benchling', 'affinity', 'evo', 'deepint', 'deadline'] as const;

export async function soak(): Promise<void> {
  const { url, child: server } = await serveInChild();
  try {
    for (const [kind, probability] of [['status', 0.04], ['reset', 0.03], ['slow', 0.02], ['malformed', 0.01]] as const) {
      await post(`${url}/_sim/faults`, { kind, status: 503, retryAfterMs: 0, delayMs: 50, probability, times: 1e12 });
    }
    const poller = createTaskPoller({ strategy: withInterval(20, { maxConsecutiveErrors: 8 }), maxConcurrentRequests: 32, retainFinished: 1000 });
    // Counters only: a map of every task ever seen would grow with the soak and hide what the poller does.
    let twice = 0;
    let created = 0;
    let succeeded = 0;
    let failed = 0;
    let stray = 0;
    const started = performance.now();
    const until = started + seconds * 1000;
    const samples: Array<{ at: number; heap: number; ended: number; queued: number }> = [];

    const launch = async (): Promise<void> => {
      if (performance.now() >= until) return;
      const n = created++;
      const task = (await post(`${url}/_sim/tasks`, { dialect: dialects[n % 5], durationMs: 200 + (n % 7) * 100 })) as SimTask;
      let ended = 0;
      const end = (): void => {
        if (++ended === 2) twice++;
      };
      poller.watch(simulatedSource(task)).subscribe({
        next: (event) => {
          if (event.type !== 'result') return;
          succeeded++;
          end();
        },
        error: (error: unknown) => {
          if (isPollTaskError(error)) failed++;
          else stray++;
          end();
          poller.forget(task.id);
          void launch();
        },
        complete: () => {
          poller.forget(task.id);
          void launch();
        },
      });
    };
    for (let i = 0; i < inFlightTasks; i++) await launch();

    while (performance.now() < until) {
      await new Promise((done) => setTimeout(done, Math.min(10_000, until - performance.now())));
      (globalThis as { gc?: () => void }).gc?.();
      const stats = poller.stats();
      samples.push({ at: (performance.now() - started) / 1000, heap: process.memoryUsage().heapUsed, ended: succeeded + failed + stray, queued: stats.queued });
      process.stdout.write(`soak ${Math.round(samples.at(-1)!.at)} s: ${samples.at(-1)!.ended} tasks ended, heap ${(samples.at(-1)!.heap / 2 ** 20).toFixed(1)} MiB\n`);
    }
    // Let the last tasks end.
    const drainBy = performance.now() + 30_000;
    while (succeeded + failed + stray < created && performance.now() < drainBy) await new Promise((done) => setTimeout(done, 100));

    const lost = created - (succeeded + failed + stray - twice);
    const warm = samples.filter((s) => s.at >= Math.min(60, seconds / 4));
    const quarter = Math.max(1, Math.floor(warm.length / 4));
    const mean = (list: typeof samples) => list.reduce((sum, s) => sum + s.heap, 0) / Math.max(1, list.length);
    const early = mean(warm.slice(0, quarter));
    const late = mean(warm.slice(-quarter));
    const growth = early === 0 ? 0 : (late - early) / early;
    const flat = Math.abs(growth) < 0.1;
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    const figures = [
      `Soak of ${seconds} s on ${machine()}: ${inFlightTasks} tasks at a time of the five services, one poller (32 requests in flight at most), the simulator in another process faulting 10 % of requests (4 % 503, 3 % reset, 2 % slow, 1 % malformed).`,
      '',
      table(
        ['tasks created', 'succeeded', 'typed errors', 'other errors', 'ended twice', 'lost', 'heap after warm-up (first quarter → last quarter)', 'flat (< 10 %)'],
        [[String(created), String(succeeded), String(failed), String(stray), String(twice), String(lost), `${mib(early)} → ${mib(late)} (${(growth * 100).toFixed(1)} %)`, flat ? 'yes' : 'NO']],
      ),
      '',
      table(['time', 'tasks ended', 'heap used', 'queued requests'], samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 12)) === 0).map((s) => [`${Math.round(s.at)} s`, String(s.ended), mib(s.heap), String(s.queued)])),
    ].join('\n');
    process.stdout.write(`\n${figures}\n`);
    if (process.env.BENCH_WRITE_DOCS !== '0') writeSection('reliability.md', 'soak', figures);
    if (twice > 0 || lost > 0 || stray > 0 || !flat) process.exitCode = 1;
  } finally {
    server.kill('SIGINT');
  }
}
