import type { SchedulerLike } from 'rxjs';
import type { AnyPollStrategy } from '../strategies/poll-strategy.js';

// The built-in strategies remember how to build themselves again with other loop options, so a tool that
// wants to see the delays (the CLI's "next poll in …") can time a service's default waiting itself, and a
// resumed wait can continue the schedule where it stopped.
const rebuildKey = Symbol.for('poll-task.rebuildStrategy');

/** What a rebuild may change. */
export interface RebuildOptions {
  readonly scheduler?: SchedulerLike;
  readonly startAtWait?: number;
}

/** Marks `strategy` as rebuildable with `rebuild(options)`; returns it. */
export function rebuildable(strategy: AnyPollStrategy, rebuild: (options: RebuildOptions) => AnyPollStrategy): AnyPollStrategy {
  // Assigned, not defined: several times cheaper (see pollLoop), and a symbol key is never listed.
  (strategy as unknown as Record<symbol, unknown>)[rebuildKey] = rebuild;
  return strategy;
}

/** `strategy` built again with `options`, or undefined when it is not a built-in one. */
export function rebuilt(strategy: unknown, options: RebuildOptions): AnyPollStrategy | undefined {
  const rebuild = typeof strategy === 'function' ? (strategy as unknown as Record<symbol, unknown>)[rebuildKey] : undefined;
  return typeof rebuild === 'function' ? (rebuild as (options: RebuildOptions) => AnyPollStrategy)(options) : undefined;
}

/** `strategy` built again on `scheduler`, or undefined when it is not a built-in one. */
export function onScheduler(strategy: unknown, scheduler: SchedulerLike): AnyPollStrategy | undefined {
  return rebuilt(strategy, { scheduler });
}
