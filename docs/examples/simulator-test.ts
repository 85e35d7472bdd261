// Testing your own code against the task simulator: a real HTTP server on 127.0.0.1, faults on demand.
// This is a jest test as you would write it in your project (the suite runs it: spec/docs.spec.ts).
import { withInterval, waitForResult } from 'poll-task';
import { benchlingTask } from 'poll-task/http';
import { startTaskServer, type TaskServer } from 'poll-task/testing';

/** Your code: waits for a Benchling task and says how it went. */
export async function importSequences(baseUrl: string, taskId: string): Promise<string> {
  const response = (await waitForResult(benchlingTask({ baseUrl, taskId }), { strategy: withInterval(10) })) as { count: number };
  return `imported ${response.count} sequences`;
}

/** The test of it, against the simulator: a flaky service, then an answer. */
export async function importSurvivesA503(): Promise<{ message: string; requests: number }> {
  const sim: TaskServer = await startTaskServer();
  try {
    const task = sim.create('benchling', { reads: 3, result: { count: 12 } });
    sim.fault({ kind: 'status', status: 503, retryAfterMs: 5, taskId: task.id });
    const message = await importSequences(sim.url, task.id);
    return { message, requests: sim.requests.length };
  } finally {
    await sim.close();
  }
}
