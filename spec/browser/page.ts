// The test page's script, bundled for the browser by spec/browser/browser.spec.ts: the library as a page uses
// it, through the browser's own fetch. Each function reports on the page (the test reads the DOM).
import { lastValueFrom, type Subscription } from 'rxjs';
import { cancelOnUnsubscribe, documentHidden$, pauseWhile, pollTask$, toResult, withInterval } from '../../lib/index.js';
import { benchlingTask, evoJob } from '../../lib/http/index.js';

function show(id: string, text: string): void {
  document.getElementById(id)!.textContent = text;
}

let paused: Subscription | undefined;

const api = {
  /** Polls a Benchling task to its result and shows it. */
  async complete(baseUrl: string, taskId: string): Promise<void> {
    const result = await lastValueFrom(pollTask$(benchlingTask({ baseUrl, taskId }), withInterval(20)).pipe(toResult()));
    show('result', JSON.stringify(result));
  },
  /** Watches an Evo job for a moment, then leaves: cancelOnUnsubscribe cancels it. */
  watchAndLeave(url: string): void {
    let polls = 0;
    const watching = pollTask$(evoJob({ url }), withInterval(20))
      .pipe(cancelOnUnsubscribe())
      .subscribe(() => {
        if (++polls === 3) {
          watching.unsubscribe();
          show('left', `left after ${polls} polls`);
        }
      });
  },
  /** Polls a task, holding requests while the page is hidden. */
  pollUnlessHidden(baseUrl: string, taskId: string): void {
    paused = pollTask$(benchlingTask({ baseUrl, taskId }), pauseWhile(documentHidden$(), withInterval(20))).subscribe((event) =>
      show('polls', String(event.snapshot.polls)),
    );
  },
  stop(): void {
    paused?.unsubscribe();
  },
};

(window as unknown as { pollTaskTest: typeof api }).pollTaskTest = api;
show('ready', 'ready');
