import { affinityTask, benchlingTask, deadlineTask, deepintTask, evoJob, type HttpSourceOptions } from '../http/index.js';
import type { TaskSource } from '../task-source.js';
import type { SimTask } from './task-server.js';

/**
 * The poll-task source of a simulated task, built with its service's builder from the task's ids
 * (`benchlingTask`, `affinityTask`, `evoJob`, `deepintTask` or `deadlineTask`), with `options` added.
 *
 * @example
 * const task = sim.create('deepint', { reads: 3 });
 * await waitForResult(simulatedSource(task), { strategy: withInterval(10) });
 */
export function simulatedSource<R = unknown>(task: SimTask, options: HttpSourceOptions<R> = {}): TaskSource<R> {
  const ids = task.ids as Readonly<Record<string, string>>;
  const id = (name: string): string => ids[name] ?? '';
  switch (task.dialect) {
    case 'benchling':
      return benchlingTask({ baseUrl: id('baseUrl'), taskId: id('taskId'), ...options });
    case 'affinity':
      return affinityTask({ baseUrl: id('baseUrl'), taskUrl: id('taskUrl'), ...options });
    case 'evo':
      return evoJob({ url: id('url'), ...options });
    case 'deepint':
      return deepintTask({ baseUrl: id('baseUrl'), organizationId: id('organizationId'), workspaceId: id('workspaceId'), taskId: id('taskId'), ...options });
    case 'deadline':
      return deadlineTask({ endpoint: id('endpoint'), farmId: id('farmId'), queueId: id('queueId'), jobId: id('jobId'), stepId: id('stepId'), taskId: id('taskId'), ...options });
  }
}
