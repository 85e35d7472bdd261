import { distinctUntilChanged, fromEvent, map, Observable, of, startWith } from 'rxjs';

interface VisibilityDocument {
  readonly hidden: boolean;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

/**
 * Whether the page is hidden (a background tab, a minimised window), now and on every change: for
 * {@link pauseWhile}. Safe anywhere: where there is no `document` (Node, server-side rendering, workers) it is
 * never hidden. `document` is looked up on subscribe, not on import.
 *
 * @example
 * pollTask$(source, pauseWhile(documentHidden$(), withBackoff()))
 */
export function documentHidden$(): Observable<boolean> {
  return new Observable<boolean>((subscriber) => {
    const doc = (globalThis as { document?: VisibilityDocument }).document;
    if (doc === undefined || typeof doc.addEventListener !== 'function') return of(false).subscribe(subscriber);
    return fromEvent(doc, 'visibilitychange')
      .pipe(
        map(() => doc.hidden),
        startWith(doc.hidden),
        distinctUntilChanged(),
      )
      .subscribe(subscriber);
  });
}
