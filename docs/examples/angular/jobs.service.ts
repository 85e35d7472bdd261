// A "jobs" service: starts a render job on an Evo-style compute API and shares its stream; the job is
// cancelled on the service when the last thing watching it goes away.
import { Injectable, InjectionToken, NgZone, inject } from '@angular/core';
import { shareReplay, type Observable } from 'rxjs';
import { cancelOnUnsubscribe, startTask$, withInterval, type TaskEvent } from 'poll-task';
import { submitEvoJob } from 'poll-task/http';
import { outsideAngular } from 'poll-task/angular';

/** Where the compute API is, and how often to ask. */
export interface JobsConfig {
  readonly baseUrl: string;
  readonly orgId: string;
  readonly intervalMs: number;
}

export const JOBS_CONFIG = new InjectionToken<JobsConfig>('JOBS_CONFIG');

@Injectable({ providedIn: 'root' })
export class JobsService {
  private readonly config = inject(JOBS_CONFIG);
  private readonly zone = inject(NgZone);

  /**
   * Starts a render of `scene` when first subscribed. One stream for every subscriber (a signal and an async
   * pipe may share it); the job is cancelled when the last of them leaves before it ended.
   */
  render(scene: string, parameters: Record<string, unknown> = {}): Observable<TaskEvent<unknown>> {
    const { baseUrl, orgId, intervalMs } = this.config;
    return startTask$((signal) => submitEvoJob({ baseUrl, orgId, topic: 'render', task: 'scene', parameters: { scene, ...parameters }, signal }), withInterval(intervalMs)).pipe(
      cancelOnUnsubscribe(),
      outsideAngular(this.zone),
      shareReplay({ bufferSize: 1, refCount: true }),
    );
  }
}
