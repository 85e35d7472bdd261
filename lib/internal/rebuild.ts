import type { SchedulerLike } from 'rxjs';
import type { AnyPollStrategy } from '../strategies/poll-strategy.js';

// The built-in strategies remember how to build themselves again on another scheduler, so a tool that
// wants to see the delays (the CLI's "next poll in …") can time a service's default waiting itself.
const rebuildKey = Symbol.for('poll-task.rebuildStrategy');

/** Marks `strategy` as rebuildable with `rebuild(scheduler)`; returns it. */
export function rebuildable(strategy: AnyPollStrategy, rebuild: (scheduler: SchedulerLike) => AnyPollStrategy): AnyPollStrategy {
  Object.defineProperty(strategy, rebuildKey, { value: rebuild });
  return strategy;
}

/** `strategy` built again on `scheduler`, or undefined when it is not a built-in one. */
export function onScheduler(strategy: unknown, scheduler: SchedulerLike): AnyPollStrategy | undefined {
  const rebuild = typeof strategy === 'function' ? (strategy as unknown as Record<symbol, unknown>)[rebuildKey] : undefined;
  return typeof rebuild === 'function' ? (rebuild as (scheduler: SchedulerLike) => AnyPollStrategy)(scheduler) : undefined;
}
