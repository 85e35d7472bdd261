import { BehaviorSubject, map, type Observable } from 'rxjs';
import { documentHidden$, pauseWhile, pollTask$, withInterval, type AnyPollStrategy } from '../../lib/index.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler, scriptedSource } from '../helpers/sources.js';

describe('pauseWhile', () => {
  it('lets requests through while not paused', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, hot, expectSubscriptions, expectObservable }) => {
      const request = cold('-(a|)', { a: reading.running() });
      const paused$ = hot('f', { f: false });
      const source = scriptedSource('t', () => request);
      expectObservable(pollTask$(source, pauseWhile(paused$, withInterval(4))).pipe(map(() => 'p')), '^---------!').toBe('-p----p---');
      expectSubscriptions(request.subscriptions).toBe(['^!', '-----^!']);
    });
  });

  // A strategy with a plan pauses inside its loop; any other strategy through a one-reading stream that waits.
  it.each([
    ['a strategy with a plan', withInterval(4)],
    ['a plain operator', ((readings) => withInterval(4)(readings)) as AnyPollStrategy],
  ])('holds a request that falls due while paused, and sends it at once when unpaused: %s', (_name, strategy) => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectSubscriptions, flush }) => {
      const request = cold('-(a|)', { a: reading.running() });
      // Reading at 1, next due at 5; paused from 3 to 12.
      const paused$ = new BehaviorSubject(false);
      scheduler.schedule(() => paused$.next(true), 3);
      scheduler.schedule(() => paused$.next(false), 12);
      const source = scriptedSource('t', () => request);
      const subscription = pollTask$(source, pauseWhile(paused$, strategy)).subscribe();
      scheduler.schedule(() => subscription.unsubscribe(), 15);
      flush();
      expectSubscriptions(request.subscriptions).toBe(['^!', '------------^!']);
      expect(source.reads).toBe(2);
    });
  });

  it('holds the first request when paused from the start', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectSubscriptions, flush }) => {
      const request = cold('-(a|)', { a: reading.succeeded(1) });
      const paused$ = new BehaviorSubject(true);
      scheduler.schedule(() => paused$.next(false), 6);
      pollTask$(scriptedSource('t', () => request), pauseWhile(paused$, withInterval(4))).subscribe();
      flush();
      expectSubscriptions(request.subscriptions).toBe('------^!');
    });
  });

  it('throws a TypeError for a paused$ that is not an Observable, or a missing strategy', () => {
    expect(() => pauseWhile(true as never, withInterval(1))).toThrow(new TypeError('pauseWhile: paused$ must be an Observable of booleans, e.g. documentHidden$().'));
    expect(() => pauseWhile(new BehaviorSubject(false), undefined as never)).toThrow(
      new TypeError('pauseWhile: give the strategy to pause as the second argument, e.g. pauseWhile(documentHidden$(), withBackoff()).'),
    );
  });
});

describe('documentHidden$', () => {
  const original = (globalThis as { document?: unknown }).document;
  afterEach(() => {
    (globalThis as { document?: unknown }).document = original;
  });

  function values(stream: Observable<boolean>): boolean[] {
    const seen: boolean[] = [];
    stream.subscribe((v) => seen.push(v));
    return seen;
  }

  it('is never hidden where there is no document (Node, server-side rendering)', () => {
    delete (globalThis as { document?: unknown }).document;
    expect(values(documentHidden$())).toEqual([false]);
  });

  it('follows the page\'s visibility, telling the current value at once', () => {
    const page = Object.assign(new EventTarget(), { hidden: true });
    (globalThis as { document?: unknown }).document = page;
    const seen = values(documentHidden$());
    page.hidden = false;
    page.dispatchEvent(new Event('visibilitychange'));
    page.dispatchEvent(new Event('visibilitychange'));
    page.hidden = true;
    page.dispatchEvent(new Event('visibilitychange'));
    expect(seen).toEqual([true, false, true]);
  });

  it('looks the document up on subscribe, not when created', () => {
    delete (globalThis as { document?: unknown }).document;
    const hidden$ = documentHidden$();
    (globalThis as { document?: unknown }).document = Object.assign(new EventTarget(), { hidden: true });
    expect(values(hidden$)).toEqual([true]);
  });
});
