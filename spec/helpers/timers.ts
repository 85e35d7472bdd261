/** How many Node timers are alive now: to assert that a wait left none behind. */
export function liveTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}
