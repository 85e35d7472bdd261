import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * A scheduler that remembers when its pending actions are due, so the command can show when the next poll
 * goes out: the nearest pending action of a loop strategy is its next request (its time limit is further).
 */
export function nextPollClock(inner: SchedulerLike = asyncScheduler): { scheduler: SchedulerLike; nextIn(): number | undefined } {
  const due = new Map<Subscription, number>();
  const scheduler: SchedulerLike = {
    now: () => inner.now(),
    schedule(work, delay = 0, state) {
      const subscription: Subscription = inner.schedule(
        function (this: unknown, value) {
          due.delete(subscription);
          (work as (this: unknown, value: unknown) => void).call(this, value);
        },
        delay,
        state,
      );
      due.set(subscription, inner.now() + delay);
      subscription.add(() => due.delete(subscription));
      return subscription;
    },
  } as SchedulerLike;
  return {
    scheduler,
    /** Milliseconds until the nearest pending action, or undefined when none is pending (a request is out). */
    nextIn: () => (due.size === 0 ? undefined : Math.max(0, Math.min(...due.values()) - inner.now())),
  };
}
