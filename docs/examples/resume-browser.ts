// Resume after a page reload: keep the wait's token in localStorage, continue it on load.
import { Observable, finalize, tap } from 'rxjs';
import { pollTask$, type TaskEvent, type TaskSource } from 'poll-task';
import { resumeTask$, resumedSource, serializeTask, type ResumeTaskOptions } from 'poll-task/http';

/** Where tokens are kept: localStorage, or anything with its three methods. */
export type TokenStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/**
 * Waits for the task under `key`: continues the saved wait if the page was reloaded during it, else starts one
 * with `start()`. Saves a token after every reading; forgets it when the wait ends or is left.
 */
export function waitAcrossReloads<R>(
  key: string,
  start: () => TaskSource<R>,
  options: ResumeTaskOptions<R> & { readonly deadline?: number },
  store: TokenStore = localStorage,
): Observable<TaskEvent<R>> {
  const { deadline, ...resume } = options;
  const saved = store.getItem(key);
  const source = saved === null ? start() : resumedSource(saved, resume);
  const events = saved === null ? pollTask$(source, options.strategy) : resumeTask$(saved, resume);
  return events.pipe(
    tap((event) => store.setItem(key, serializeTask(source, event.snapshot, deadline === undefined ? {} : { deadline }))),
    // A reload never gets here: the token stays for the next page.
    finalize(() => store.removeItem(key)),
  );
}
