import { lastValueFrom } from 'rxjs';
import { createTaskPoller, pollAll$, withInterval } from '../../lib/index.js';
import { countingFetch } from '../helpers/counting-fetch.js';
import { startTaskServer, type SimTask, type TaskServer } from '../../lib/testing/index.js';
import { dialects, sourceFor } from '../helpers/sim.js';

describe('many tasks against the simulator', () => {
  let sim: TaskServer;
  beforeEach(async () => {
    sim = await startTaskServer();
  });
  afterEach(() => sim.close());

  it('finishes 200 tasks of mixed dialects through one poller, with exactly the requests the schedule asks for', async () => {
    const tasks: SimTask[] = [];
    for (let i = 0; i < 200; i++) tasks.push(sim.create(dialects[i % dialects.length]!, { reads: 3, result: { n: i } }));
    const poller = createTaskPoller({ strategy: withInterval(0), maxConcurrentRequests: 8 });
    const counting = countingFetch();
    const end = await lastValueFrom(pollAll$(tasks.map((task) => sourceFor(task, { fetch: counting.fetch })), { poller, mode: 'settle' }));
    expect(end?.type).toBe('result');
    if (end?.type !== 'result') return;
    expect(end.results.every((r) => r.ok)).toBe(true);
    expect(end.done).toBe(200);
    // Each task answered 3 status reads; an Evo job's result is one more GET; nothing else was sent.
    for (const task of tasks) {
      const statusPath = new URL(task.url).pathname;
      expect(sim.requests.filter((r) => r.path === statusPath)).toHaveLength(3);
    }
    const evoJobs = tasks.filter((t) => t.dialect === 'evo').length;
    expect(sim.requests).toHaveLength(200 * 3 + evoJobs);
    expect(poller.stats()).toMatchObject({ inFlight: 0, queued: 0, sent: 200 * 3 + evoJobs });
    expect(counting.mostInFlight()).toBeLessThanOrEqual(8);
    expect(sim.stats()).toMatchObject({ inFlight: 0, mostInFlight: expect.any(Number) });
    expect(sim.stats().mostInFlight).toBeLessThanOrEqual(8);
    expect(counting.mostInFlight()).toBeGreaterThan(1);
  });
});
