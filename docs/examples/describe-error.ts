// Acting on failures by their kind, as a UI would: the fields decide, never the message's wording.
import { isPollTaskError, type TaskFailedError, type TaskTimeoutError, type TransportError } from 'poll-task';

/** A short text for the user, from any error a task stream may end with. */
export function describeError(error: unknown): string {
  if (!isPollTaskError(error)) return 'Something went wrong in the app.';
  switch (error.kind) {
    case 'task-failed': {
      const { failure } = error as TaskFailedError;
      return `The job failed${failure.code ? ` (${failure.code})` : ''}: ${failure.message ?? 'no reason given'}.`;
    }
    case 'task-canceled':
      return 'The job was canceled.';
    case 'timeout': {
      const { lastSnapshot } = error as TaskTimeoutError;
      const progress = lastSnapshot?.progress === undefined ? '' : ` at ${Math.round(lastSnapshot.progress * 100)}%`;
      return `Still running${progress}; we stopped waiting. Check again later.`;
    }
    case 'transport': {
      const { status, attempts } = error as TransportError;
      if (status === 401 || status === 403) return 'You are not allowed to see this job.';
      if (status === 404) return 'The job was not found (it may have expired).';
      // `attempts` is set when the wait tried again and then gave up: say so, the user need not retry at once.
      const tried = attempts === undefined ? '' : ` (we tried ${attempts} times)`;
      return `The service cannot be reached right now${tried}. Try again later.`;
    }
    default:
      return `Unexpected answer from the service (${error.kind}).`;
  }
}
