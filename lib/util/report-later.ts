/**
 * Throws `error` from a microtask of its own, as the platform does with an error of an event listener or a
 * timer: it surfaces as an uncaught error without breaking the loop that called the throwing code.
 */
export function reportLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
