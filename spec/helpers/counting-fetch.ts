import type { Fetch } from '../../lib/http/transport.js';

/** A fetch that counts the requests waiting for their answer, and the most of them there were at once. */
export interface CountingFetch {
  readonly fetch: Fetch;
  /** The most requests that waited for their answer at the same time so far. */
  mostInFlight(): number;
}

/**
 * Wraps `fetch` (default: the platform's) to count the requests in flight: how the load tests show that a
 * poller's request budget held, seen from the client, where a request queued for a connection already counts
 * (the simulator's `stats().mostInFlight` sees the same budget from the server).
 */
export function countingFetch(fetch: Fetch = globalThis.fetch as Fetch): CountingFetch {
  let inFlight = 0;
  let most = 0;
  return {
    fetch: async (url, init) => {
      most = Math.max(most, ++inFlight);
      try {
        return await fetch(url, init);
      } finally {
        inFlight--;
      }
    },
    mostInFlight: () => most,
  };
}
