import { reportLater } from '../util/report-later.js';
import type { SchedulerLike } from 'rxjs';
import { defaultScheduler, maxTimerDelay, monotonic, scheduleAfter } from '../core/clock.js';

// The request timeout of HTTP sources. On the default clock, one real timer per distinct length, shared by
// every request in flight; a wait on a clock of its own (a virtual one in tests) times its requests by it.

/** A running deadline of {@link startDeadline}: cancel it when the work ended in time. */
export interface Deadline {
  cancel(): void;
}

/** A Node timer (refreshable, and unref'd so that it never keeps Node running), or a browser's timer id. */
type Timer = ReturnType<typeof setTimeout> & { refresh?: () => unknown; unref?: () => unknown };

interface ZoneLike {
  run<T>(fn: () => T): T;
}

/**
 * Runs `make` in zone.js's root zone where there is one (Angular). The shared deadline timer serves requests
 * of every zone and outlives each of them: made in an Angular zone it would count as that zone's pending task
 * until it fired, keeping the application unstable (server rendering, hydration, whenStable) for up to
 * requestTimeoutMs after the last request. Each request is still the zone's own task while it is in flight.
 */
function outsideZones<T>(make: () => T): T {
  const root = (globalThis as { Zone?: { root?: ZoneLike } }).Zone?.root;
  return root === undefined ? make() : root.run(make);
}

/**
 * The running deadlines of one length, in the order they end (they all last `ms`): a doubly linked list, so a
 * deadline is added and cancelled in constant time, and one timer set for the first of them. The timer is not
 * moved when the first deadline is cancelled; when it fires early it is set again for the new first one.
 */
class DeadlineList {
  private first: DeadlineEntry | undefined = undefined;
  private last: DeadlineEntry | undefined = undefined;
  private timer: Timer | undefined = undefined;
  /** The delay the timer was made with: `refresh` sets it again for that long. */
  private timerDelay = 0;
  /** The setTimeout that made the timer. */
  private timerMaker: typeof setTimeout | undefined = undefined;
  /** When the timer fires (monotonic ms), or undefined when it is not set. */
  private firesAt: number | undefined = undefined;

  constructor(readonly ms: number) {}

  add(onLate: () => void): DeadlineEntry {
    const entry = new DeadlineEntry(this, monotonic() + this.ms, onLate);
    if (this.last === undefined) this.first = entry;
    else {
      entry.prev = this.last;
      this.last.next = entry;
    }
    this.last = entry;
    // Also when the timer was made by another setTimeout than today's (a test's fake timers, since removed):
    // that one may never fire.
    if (this.firesAt === undefined || this.timerMaker !== setTimeout) this.arm(this.ms, entry.at);
    return entry;
  }

  remove(entry: DeadlineEntry): void {
    if (entry.prev === undefined) this.first = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === undefined) this.last = entry.prev;
    else entry.next.prev = entry.prev;
    entry.prev = entry.next = undefined;
  }

  private arm(delay: number, at: number): void {
    this.firesAt = at;
    const timer = this.timer;
    const ours = timer !== undefined && this.timerMaker === setTimeout;
    // A timer of the same length is moved (no new timer); another wait needs a timer of its own.
    if (ours && delay === this.timerDelay && typeof timer.refresh === 'function') timer.refresh();
    else {
      if (ours) clearTimeout(timer);
      // A longer delay would fire at once; fire() sets the timer again while the first deadline is not due.
      const next = outsideZones(() => setTimeout(() => this.fire(), Math.min(delay, maxTimerDelay)) as Timer);
      next.unref?.();
      this.timer = next;
      this.timerDelay = delay;
      this.timerMaker = setTimeout;
    }
  }

  private fire(): void {
    this.firesAt = undefined;
    // Node may fire a timer up to a millisecond before its time by another clock.
    const now = monotonic() + 1;
    let entry: DeadlineEntry | undefined;
    while ((entry = this.first) !== undefined && entry.at <= now) {
      this.remove(entry);
      try {
        entry.late();
      } catch (error) {
        // As a throwing timer would, without leaving the other deadlines unwatched.
        reportLater(error);
      }
    }
    if (entry !== undefined) this.arm(Math.max(1, Math.ceil(entry.at - now + 1)), entry.at);
  }
}

class DeadlineEntry implements Deadline {
  prev: DeadlineEntry | undefined = undefined;
  next: DeadlineEntry | undefined = undefined;
  private done = false;

  constructor(
    private readonly list: DeadlineList,
    readonly at: number,
    private readonly onLate: () => void,
  ) {}

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.list.remove(this);
  }

  late(): void {
    this.done = true;
    this.onLate();
  }
}

const deadlineLists = new Map<number, DeadlineList>();

/** The deadline that never passes (`Infinity`). */
const neverLate: Deadline = { cancel() {} };

/**
 * Calls `onLate` after `ms` milliseconds of real time unless the returned deadline is cancelled first: the
 * request timeout. Deadlines of one length share one timer, so starting and cancelling one allocates a small
 * object and sets no timer of its own (a request's own timer cost about as much as the rest of its work here).
 * The timer does not keep Node running: a request in flight does that by itself. Real time, not a scheduler's:
 * the requests it times are real too.
 */
export function startDeadline(ms: number, onLate: () => void): Deadline {
  if (ms === Infinity) return neverLate;
  let list = deadlineLists.get(ms);
  if (list === undefined) deadlineLists.set(ms, (list = new DeadlineList(ms)));
  return list.add(onLate);
}

/**
 * The timeout of one request of a wait on `clock`: {@link startDeadline}'s shared real timer on the default
 * clock (or outside a wait), else a timer of `clock`, so that on virtual time a request times out in virtual
 * time.
 */
export function requestDeadline(clock: SchedulerLike | undefined, ms: number, onLate: () => void): Deadline {
  if (clock === undefined || clock === defaultScheduler) return startDeadline(ms, onLate);
  const timer = scheduleAfter(clock, onLate, ms);
  return { cancel: () => timer.unsubscribe() };
}
