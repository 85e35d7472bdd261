import { inject, NgZone } from '@angular/core';
import { Observable, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * Subscribes to the stream outside the Angular zone, so its timers and requests never keep the application
 * unstable (`whenStable()`, hydration, server rendering and end-to-end tests wait for a stable zone), and
 * delivers every notification back inside the zone, so change detection sees it.
 *
 * @param zone - the NgZone; by default the one of the current injection context.
 * @throws Error (from Angular) when called without `zone` outside an injection context.
 *
 * @example
 * readonly events$ = pollTask$(source).pipe(outsideAngular());
 */
export function outsideAngular<T>(zone: NgZone = inject(NgZone)): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) =>
      zone.runOutsideAngular(() =>
        source.subscribe({
          next: (value) => zone.run(() => subscriber.next(value)),
          error: (error: unknown) => zone.run(() => subscriber.error(error)),
          complete: () => zone.run(() => subscriber.complete()),
        }),
      ),
    );
}
