// What browser bundles get instead of cross-fetch.ts (see the `browser` map in dist/esm/package.json and
// dist/cjs/package.json): no cross-fetch. The platform's fetch is used; a platform without one needs the
// `fetch` option.
import type { CrossFetch } from './cross-fetch.js';

/** No cross-fetch in a browser build: see cross-fetch.ts. */
export const crossFetch: CrossFetch | undefined = undefined;
