import crossFetchFunction, { Request } from 'cross-fetch';
import type { Fetch } from './transport.js';

/** cross-fetch's `fetch` and `Request`: the fallback where the platform has no `fetch`, and what fetchKindOf knows. */
export interface CrossFetch {
  readonly fetch: Fetch;
  readonly Request: typeof globalThis.Request;
}

/**
 * cross-fetch, where this build carries it. Browser bundlers (esbuild, webpack, Rollup, Vite, Parcel) replace this
 * file with cross-fetch.browser.ts, which carries none, through the `browser` map that `npm run build` writes
 * into dist/esm/package.json and dist/cjs/package.json: every browser this library runs in has a `fetch`, and the
 * ponyfill would cost a browser bundle about 3 KB gzipped for nothing.
 */
export const crossFetch: CrossFetch | undefined = { fetch: crossFetchFunction as Fetch, Request };
