import { Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { scheduleAfter } from '../core/clock.js';
import { clockOfWait, enterClock, leaveClock } from '../core/wait-scope.js';

/** What a gate has done so far. */
export interface GateStats {
  /** Requests sent and not yet answered. */
  readonly inFlight: number;
  /** Requests waiting for a slot. */
  readonly queued: number;
  /** Requests sent since the gate was made. */
  readonly sent: number;
}

/** Lets requests through within a budget, in the order they asked. */
export interface RequestGate {
  /** `request`, started only when the budget allows; unsubscribing gives up its place or its slot. */
  pass<T>(request: Observable<T>): Observable<T>;
  stats(): GateStats;
}

interface Ticket {
  start(): void;
  waiting: boolean;
}

/**
 * A request budget shared by many tasks: at most `maxConcurrent` requests in flight, starts spaced at least
 * `1000 / perSecond` ms apart, and a first-in-first-out queue for the rest. Each task has at most one request
 * waiting (polling never overlaps), so FIFO order is round robin: no task starves.
 */
export function createRequestGate(maxConcurrent: number, perSecond: number, scheduler: SchedulerLike): RequestGate {
  const spacing = perSecond === Infinity ? 0 : 1000 / perSecond;
  let queue: Ticket[] = [];
  let head = 0;
  let queued = 0;
  let inFlight = 0;
  let sent = 0;
  let lastStart = -Infinity;
  let wakeUp: Subscription | undefined;
  let pumping = false;

  const pump = (): void => {
    if (pumping) return;
    pumping = true;
    try {
      while (queued > 0 && inFlight < maxConcurrent) {
        const due = lastStart + spacing - scheduler.now();
        if (due > 0) {
          wakeUp ??= scheduleAfter(scheduler, () => {
            wakeUp = undefined;
            pump();
          }, due);
          return;
        }
        const ticket = queue[head++]!;
        if (!ticket.waiting) continue; // given up while waiting
        ticket.waiting = false;
        queued--;
        inFlight++;
        sent++;
        lastStart = scheduler.now();
        ticket.start();
      }
      if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
    } finally {
      pumping = false;
    }
  };

  return {
    pass: <T>(request: Observable<T>) =>
      new Observable<T>((subscriber) => {
        let inner: Subscription | undefined;
        let released = false;
        // A request let through later is still one of the wait that sent it: it keeps the wait's clock.
        const clock = clockOfWait();
        const release = (): void => {
          if (released) return;
          released = true;
          inFlight--;
          pump();
        };
        const ticket: Ticket = {
          waiting: true,
          start() {
            // Entered even when undefined: the request must not take the clock of the wait being subscribed now.
            const outer = enterClock(clock);
            try {
              inner = request.subscribe(observer);
            } finally {
              leaveClock(outer);
            }
          },
        };
        const observer = {
          next: (value: T) => subscriber.next(value),
          error: (error: unknown) => {
            release();
            subscriber.error(error);
          },
          complete: () => {
            release();
            subscriber.complete();
          },
        };
        queue.push(ticket);
        queued++;
        pump();
        return () => {
          if (ticket.waiting) {
            ticket.waiting = false;
            // Nobody waits any more: the timer that would let the next one through is not needed.
            if (--queued === 0 && wakeUp !== undefined) {
              wakeUp.unsubscribe();
              wakeUp = undefined;
            }
            return;
          }
          inner?.unsubscribe();
          release();
        };
      }),
    stats: () => ({ inFlight, queued, sent }),
  };
}
