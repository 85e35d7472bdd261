// Resume after a crash: a worker writes the wait's token to a file after every reading; when it restarts, it
// continues the same wait (same task, original deadline, poll count and backoff position).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { lastValueFrom, tap } from 'rxjs';
import { pollTask$, toResult, type TaskSource } from 'poll-task';
import { resumeTask$, serializeTask, type ResumeTaskOptions } from 'poll-task/http';

/**
 * Waits for a task, surviving restarts: resumes from `file` if it exists (the last run crashed), else starts
 * with `source`. The token is rewritten after every reading and removed once the wait ended.
 */
export async function waitSurvivingRestarts<R>(file: string, source: TaskSource<R>, options: ResumeTaskOptions<R> & { readonly deadline: number }): Promise<R> {
  const { deadline, ...resume } = options;
  const events = existsSync(file) ? resumeTask$<R>(readFileSync(file, 'utf8'), resume) : pollTask$(source, options.strategy);
  try {
    return await lastValueFrom(
      events.pipe(
        tap((event) => writeFileSync(file, serializeTask(source, event.snapshot, { deadline }))),
        toResult(),
      ),
    );
  } finally {
    rmSync(file, { force: true });
  }
}
