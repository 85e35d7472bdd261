/** How many Node timers are alive now: to assert that a wait left none behind. */
export function liveTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Lets I/O and promises run, turn after turn of the event loop (setImmediate, which fake timers leave real),
 * until `done` holds; throws, naming `what`, when it still does not after `turns` turns.
 */
export async function turnsUntil(done: () => boolean, what: string, turns = 20_000): Promise<void> {
  for (let turn = 0; turn < turns; turn++) {
    if (done()) return;
    await nextTurn();
  }
  if (!done()) throw new Error(`${what} did not happen within ${turns} turns of the event loop.`);
}

/**
 * Lets I/O and promises run for `turns` turns, or until `happened` holds: for a test that expects something
 * NOT to happen yet (it asserts afterwards), so that it looks for a bounded while and stops early if it does.
 */
export async function turnsWithout(happened: () => boolean, turns = 2_000): Promise<void> {
  for (let turn = 0; turn < turns && !happened(); turn++) await nextTurn();
}
