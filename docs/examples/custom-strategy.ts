// A strategy of your own: ask every second, then every 200 ms once the task reports 90 % done.
import { defer, repeat, tap, timer, type SchedulerLike } from 'rxjs';
import type { PollStrategy, TaskReading } from 'poll-task';

/**
 * Polls slowly while the task is far from done and quickly near the end. The last reading is kept in a
 * `defer` closure, so every subscription has its own (RxJS's `repeat` does not pass the last value on).
 */
export function sprintToFinish(slowMs = 1000, fastMs = 200, scheduler?: SchedulerLike): PollStrategy {
  return (reading$) =>
    defer(() => {
      let last: TaskReading<unknown> | undefined;
      return reading$.pipe(
        tap((reading) => (last = reading)),
        repeat({ delay: () => timer((last?.progress ?? 0) >= 0.9 ? fastMs : slowMs, scheduler) }),
      );
    });
}
