// Which fetch an HTTP source sends with, in the Node build (cross-fetch.ts: cross-fetch is carried, the fallback
// where the platform has no fetch) and in the browser build (cross-fetch.browser.ts, which bundlers put in its
// place: no cross-fetch, so the platform's fetch or the `fetch` option). Each case loads the modules afresh,
// with the platform's fetch present or taken away while they load.
import type * as CrossFetchModule from '../../lib/http/cross-fetch.js';
import type * as HttpTaskModule from '../../lib/http/http-task.js';
import type { Fetch } from '../../lib/http/transport.js';

const url = 'https://tenant.example/api/v2/tasks/t1';

/**
 * http-task.ts loaded afresh, with `platformFetch` as globalThis.fetch while it loads, in the build named; with
 * it the cross-fetch it sees (a fresh load of the package too).
 */
function load(build: 'node' | 'browser', platformFetch: Fetch | undefined): typeof HttpTaskModule & { crossFetch: Fetch } {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  let loaded: (typeof HttpTaskModule & { crossFetch: Fetch }) | undefined;
  try {
    if (platformFetch === undefined) delete (globalThis as { fetch?: unknown }).fetch;
    else Object.defineProperty(globalThis, 'fetch', { value: platformFetch, configurable: true, writable: true });
    jest.isolateModules(() => {
      if (build === 'browser') {
        jest.doMock('../../lib/http/cross-fetch', () => jest.requireActual<typeof CrossFetchModule>('../../lib/http/cross-fetch.browser'));
      }
      const crossFetch = jest.requireActual<{ default: Fetch }>('cross-fetch').default;
      loaded = { ...jest.requireActual<typeof HttpTaskModule>('../../lib/http/http-task'), crossFetch };
    });
  } finally {
    if (saved !== undefined) Object.defineProperty(globalThis, 'fetch', saved);
    jest.dontMock('../../lib/http/cross-fetch');
  }
  return loaded!;
}

const answer = (): Promise<Response> =>
  Promise.resolve(new Response(JSON.stringify({ status: 'RUNNING' }), { status: 200, headers: { 'content-type': 'application/json' } }));

describe('the Node build', () => {
  it('sends with the platform fetch where there is one', async () => {
    const platform = jest.fn(answer);
    const transport = load('node', platform).transportFor('httpTask', {}, url, 'Benchling', 't1');
    await transport.fetch(url, {});
    expect(platform).toHaveBeenCalledTimes(1);
    expect(transport.kind.newAbort()).toBeInstanceOf(AbortController);
  });

  it('falls back to cross-fetch where the platform has no fetch, with its light abort signals', () => {
    const { transportFor, crossFetch } = load('node', undefined);
    const transport = transportFor('httpTask', {}, url, 'Benchling', 't1');
    expect(transport.fetch).toBe(crossFetch);
    expect(transport.kind.newAbort()).not.toBeInstanceOf(AbortController);
  });
});

describe('the browser build (no cross-fetch)', () => {
  it('sends with the platform fetch where there is one', async () => {
    const platform = jest.fn(answer);
    const transport = load('browser', platform).transportFor('httpTask', {}, url, 'Benchling', 't1');
    await transport.fetch(url, {});
    expect(platform).toHaveBeenCalledTimes(1);
    expect(transport.kind.newAbort()).toBeInstanceOf(AbortController);
  });

  it('without a platform fetch, refuses a source without the `fetch` option, saying what to give', () => {
    const { transportFor } = load('browser', undefined);
    expect(() => transportFor('benchling', {}, url, 'Benchling', 't1')).toThrow(
      new TypeError('benchling: this platform has no fetch, and this build carries no cross-fetch (browser bundles leave it out): give option "fetch".'),
    );
  });

  it('without a platform fetch, sends with the `fetch` given, cross-fetch itself included, with platform abort signals', async () => {
    const { transportFor, crossFetch } = load('browser', undefined);
    const given = jest.fn(answer);
    const transport = transportFor('httpTask', { fetch: given }, url, 'Benchling', 't1');
    await transport.fetch(url, {});
    expect(given).toHaveBeenCalledTimes(1);
    // The browser build does not know cross-fetch: it is any fetch there.
    expect(transportFor('httpTask', { fetch: crossFetch }, url, 'Benchling', 't1').kind.newAbort()).toBeInstanceOf(AbortController);
  });

  it('still checks the `fetch` option', () => {
    const { transportFor } = load('browser', undefined);
    expect(() => transportFor('httpTask', { fetch: 'fetch' as unknown as Fetch }, url, 'Benchling', 't1')).toThrow(
      new TypeError('httpTask: option "fetch" must be a function, but was "fetch".'),
    );
  });
});
