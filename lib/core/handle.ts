import { defer, throwError, type Observable } from 'rxjs';
import { CancelUnsupportedError } from '../errors.js';
import type { TaskHandle } from '../events.js';
import type { TaskSource } from '../task-source.js';

/** A handle of a source's task, frozen: a wait makes one and shares it with every event about that task. */
export function createHandle<R>(source: TaskSource<R>): TaskHandle {
  const { id } = source;
  const cancel = source.cancel;
  const handle: TaskHandle = {
    id,
    cancelable: typeof cancel === 'function',
    cancel:
      typeof cancel === 'function'
        ? (): Observable<void> => defer(() => cancel.call(source))
        : (): Observable<void> => throwError(() => new CancelUnsupportedError(id)),
  };
  return Object.freeze(handle);
}

/** Throws a TypeError unless `source` looks like a {@link TaskSource}. */
export function checkSource(fn: string, source: unknown): void {
  const candidate = source as Partial<TaskSource<unknown>> | null | undefined;
  if (typeof candidate !== 'object' || candidate === null) {
    throw new TypeError(`${fn}: expected a TaskSource (an object with id and read()), but got ${candidate === null ? 'null' : typeof candidate}; build one with taskSource().`);
  }
  if (typeof candidate.id !== 'string' || candidate.id === '') {
    throw new TypeError(`${fn}: the TaskSource needs a non-empty string id, but its id was ${JSON.stringify(candidate.id) ?? 'undefined'}.`);
  }
  if (typeof candidate.read !== 'function') {
    throw new TypeError(`${fn}: the TaskSource "${candidate.id}" has no read() function; a source must read the task's status once per call.`);
  }
  for (const name of ['result', 'cancel', 'readCall', 'defaultStrategy'] as const) {
    if (candidate[name] !== undefined && typeof candidate[name] !== 'function') {
      throw new TypeError(`${fn}: the TaskSource "${candidate.id}" has a ${name} that is not a function; leave it out or make it a function.`);
    }
  }
}
