// A component that shows a render job: its progress as a signal and, for the async pipe, as an Observable.
// Leaving the page (destroying the component) cancels the job.
import { AsyncPipe, JsonPipe, PercentPipe } from '@angular/common';
import { Component, Injector, inject, input, type OnInit } from '@angular/core';
import { map, type Observable } from 'rxjs';
import { taskState } from 'poll-task';
import { taskSignals, type TaskSignals } from 'poll-task/angular';
import { JobsService } from './jobs.service';

@Component({
  selector: 'app-job',
  imports: [AsyncPipe, JsonPipe, PercentPipe],
  template: `
    <h2>Render {{ scene() }}</h2>
    <p class="status">{{ job.state().state }}</p>
    <p class="progress">{{ job.progress() ?? 0 | percent }}</p>
    <p class="words">{{ words$ | async }}</p>
    @if (job.result(); as result) {
      <p class="result">{{ result | json }}</p>
    }
    @if (job.error(); as error) {
      <p class="error">{{ message(error) }}</p>
    }
  `,
})
export class JobComponent implements OnInit {
  private readonly jobs = inject(JobsService);
  private readonly injector = inject(Injector);
  readonly scene = input.required<string>();
  /** Extra parameters for the render job. */
  readonly parameters = input<Record<string, unknown>>({});
  job!: TaskSignals<unknown>;
  words$!: Observable<string>;

  ngOnInit(): void {
    const run$ = this.jobs.render(this.scene(), this.parameters());
    // Both views share one stream: one job, one polling loop.
    this.job = taskSignals(run$, { injector: this.injector });
    // For the async pipe: taskState() never errors, so a failed job does not break the template.
    this.words$ = run$.pipe(
      taskState(),
      map((state) => (state.snapshot === undefined ? 'starting' : `${state.snapshot.vendorStatus} after ${state.snapshot.polls} polls`)),
    );
  }

  message(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
  }
}
