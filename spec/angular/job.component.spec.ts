import { NgZone, PLATFORM_ID, provideZoneChangeDetection } from '@angular/core';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { Component, inject, Injector } from '@angular/core';
import { interval, lastValueFrom, NEVER, timer } from 'rxjs';
import { pollTask$, withInterval } from 'poll-task';
import { outsideAngular, taskSignals } from 'poll-task/angular';
import { benchling, httpTask } from 'poll-task/http';
import { startTaskServer, type TaskServer } from 'poll-task/testing';
import { JobComponent } from '../../docs/examples/angular/job.component';
import { JOBS_CONFIG } from '../../docs/examples/angular/jobs.service';
import { until } from '../helpers/sim.js';

describe('the jobs example (TestBed)', () => {
  let sim: TaskServer;
  let fixture: ComponentFixture<JobComponent>;

  async function render(scene: string, simulate: Record<string, unknown>): Promise<HTMLElement> {
    TestBed.configureTestingModule({
      imports: [JobComponent],
      providers: [provideZoneChangeDetection(), { provide: JOBS_CONFIG, useValue: { baseUrl: sim.url, orgId: 'org-1', intervalMs: 20 } }],
    });
    fixture = TestBed.createComponent(JobComponent);
    fixture.componentRef.setInput('scene', scene);
    // The simulator takes the job's spec from its parameters.
    fixture.componentRef.setInput('parameters', { simulate });
    fixture.detectChanges();
    return fixture.nativeElement as HTMLElement;
  }

  const text = (page: HTMLElement, selector: string) => page.querySelector(selector)?.textContent?.trim();

  beforeEach(async () => {
    sim = await startTaskServer();
  });
  afterEach(async () => {
    TestBed.resetTestingModule();
    await sim.close();
  });

  it('shows the progress and then the result', async () => {
    const page = await render('castle', { reads: 4, result: { frames: 24 } });
    await until(() => {
      fixture.detectChanges();
      return text(page, '.status') === 'succeeded';
    }, 'the result');
    expect(text(page, '.progress')).toBe('100%');
    expect(text(page, '.result')).toContain('"frames": 24');
    expect(text(page, '.words')).toBe('succeeded after 4 polls');
  });

  it('lets the application become stable while the job is still running', async () => {
    const page = await render('forest', { reads: 10_000 });
    await until(() => {
      fixture.detectChanges();
      return text(page, '.status') === 'active' && sim.requests.filter((r) => r.method === 'GET').length >= 3;
    }, 'a few polls');
    // The polling timers and requests run outside the zone: it has nothing pending (Protractor, hydration and
    // server rendering wait for exactly that), and whenStable() resolves.
    expect(TestBed.inject(NgZone).hasPendingMacrotasks).toBe(false);
    let stable = false;
    void fixture.whenStable().then(() => (stable = true));
    await until(() => stable, 'whenStable()');
    expect(text(page, '.status')).toBe('active');
    fixture.destroy();
    await until(() => sim.requests.some((r) => r.method === 'DELETE'), 'the cancel on leaving');
  });

  it('cancels the job on the service when the component is destroyed', async () => {
    await render('city', { reads: 10_000 });
    await until(() => sim.requests.filter((r) => r.method === 'GET').length >= 2, 'the job to run');
    fixture.destroy();
    await until(() => sim.requests.some((r) => r.method === 'DELETE'), 'the cancel');
    const deleted = sim.requests.find((r) => r.method === 'DELETE')!;
    expect(sim.cancelRequested(deleted.taskId!)).toBe(true);
  });

  it('leaves the signals readable with the error when the job fails', async () => {
    const page = await render('moon', { reads: 2, outcome: 'failed', failure: { code: 'GPU', message: 'out of memory' } });
    await until(() => {
      fixture.detectChanges();
      return text(page, '.status') === 'failed';
    }, 'the failure');
    expect(text(page, '.error')).toMatch(/failed on the service with code GPU: "out of memory"/);
    expect(fixture.componentInstance.job.error()).toBeInstanceOf(Error);
    expect(fixture.componentInstance.job.result()).toBeUndefined();
    fixture.detectChanges();
    expect(text(page, '.words')).toBe('failed after 2 polls');
  });
});

describe('taskSignals during server-side rendering', () => {
  it('polls nothing and stays active', () => {
    const reads: number[] = [];
    @Component({ selector: 'app-ssr', template: '' })
    class SsrComponent {
      readonly job = taskSignals(pollTask$({ id: 't', read: () => (reads.push(1), NEVER) }, withInterval(10)), { injector: inject(Injector) });
    }
    TestBed.configureTestingModule({ imports: [SsrComponent], providers: [{ provide: PLATFORM_ID, useValue: 'server' }] });
    const component = TestBed.createComponent(SsrComponent).componentInstance;
    expect(component.job.state()).toEqual({ state: 'active' });
    expect(reads).toEqual([]);
    TestBed.resetTestingModule();
  });
});

describe('httpTask in the zone', () => {
  it('leaves nothing pending in the zone once a read answered: the shared request-timeout timer is not its task', async () => {
    const sim = await startTaskServer();
    try {
      TestBed.configureTestingModule({ providers: [provideZoneChangeDetection()] });
      const zone = TestBed.inject(NgZone);
      const task = sim.create('benchling', { reads: 10 });
      const reading = await zone.run(() => lastValueFrom(httpTask({ url: task.url, dialect: benchling }).read()));
      expect(reading.runStatus).toBe('running');
      expect(zone.hasPendingMacrotasks).toBe(false);
    } finally {
      TestBed.resetTestingModule();
      await sim.close();
    }
  });
});

describe('outsideAngular', () => {
  it('keeps a stream\'s timers out of the zone and brings its values back in', () => {
    TestBed.configureTestingModule({ providers: [provideZoneChangeDetection()] });
    const zone = TestBed.inject(NgZone);
    const plain = zone.run(() => interval(10).subscribe());
    expect(zone.hasPendingMacrotasks).toBe(true); // what a poller does to an app without it
    plain.unsubscribe();
    const polite = zone.run(() => interval(10).pipe(outsideAngular(zone)).subscribe());
    expect(zone.hasPendingMacrotasks).toBe(false);
    polite.unsubscribe();
    TestBed.resetTestingModule();
  });

  it('delivers values inside the zone', async () => {
    TestBed.configureTestingModule({ providers: [provideZoneChangeDetection()] });
    const zone = TestBed.inject(NgZone);
    const inside = await new Promise<boolean>((resolve) => {
      zone.run(() => timer(5).pipe(outsideAngular(zone)).subscribe(() => resolve(NgZone.isInAngularZone())));
    });
    expect(inside).toBe(true);
    TestBed.resetTestingModule();
  });
});
