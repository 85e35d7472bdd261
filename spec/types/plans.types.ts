// Type tests for strategies as values and derived option lists: compiled by `npm run typecheck`, never run.
import { withBackoff, withInterval, pollStrategy, pauseWhile, type BackoffSchedule, type PlannedStrategy, type PollPlan, type PollStrategy } from 'poll-task';
import { of } from 'rxjs';

// A strategy with a plan is still a strategy for any result type, and its plan is typed.
const backoff: PlannedStrategy = withBackoff();
const asStrategy: PollStrategy<{ rows: number }> = backoff;
const plan: PollPlan = backoff.plan;
const initial: number = (plan.schedule as BackoffSchedule).initialDelayMs;
void asStrategy;
void initial;

// Derived: a copy of a plan with changes.
pollStrategy({ ...withInterval(500).plan, maxWaitMs: 60_000 });
// @ts-expect-error a misspelt option is refused by the type too
pollStrategy({ ...plan, maxWaitM: 60_000 });
// @ts-expect-error a plan needs a schedule
pollStrategy({ maxWaitMs: 5 });
// pauseWhile takes any strategy.
pauseWhile(of(false), backoff);
