import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTaskServer, type TaskServer } from '../../lib/testing/index.js';
import { until } from '../helpers/sim.js';

// The library in a real browser: Debian's Chromium (installed by .ci/run), headless, driven by playwright-core,
// on a page the simulator serves, polling through the browser's own fetch.
const chromiumPath = '/usr/bin/chromium';

const page = (script: string) => `<!doctype html>
<html><body>
<p id="ready"></p><p id="result"></p><p id="left"></p><p id="polls"></p>
<script>${script.replace(/<\/script>/g, '<\\/script>')}</script>
</body></html>`;

describe('in a real browser', () => {
  let browser: Browser;
  let sim: TaskServer;
  let tab: Page;

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(`${chromiumPath} is missing: install Debian's chromium package (apt-get install chromium); .ci/run does.`);
    }
    const bundle = await build({ entryPoints: [resolve(__dirname, 'page.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' });
    sim = await startTaskServer({ files: { '/index.html': { type: 'text/html', body: page(bundle.outputFiles[0]!.text) } } });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      timeout: 20_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    tab = await browser.newPage();
    await tab.goto(`${sim.url}/index.html`, { timeout: 10_000 });
    await tab.waitForSelector('#ready:has-text("ready")', { timeout: 10_000 });
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    await sim?.close();
  });

  it('polls a task to its result through the browser\'s fetch', async () => {
    const task = sim.create('benchling', { reads: 3, result: { sequences: 7 } });
    await tab.evaluate(([url, id]) => (window as unknown as { pollTaskTest: { complete(u: string, i: string): Promise<void> } }).pollTaskTest.complete(url!, id!), [sim.url, task.id]);
    expect(await tab.textContent('#result')).toBe('{"sequences":7}');
    const reads = sim.requests.filter((r) => r.taskId === task.id);
    expect(reads).toHaveLength(3);
    expect(reads[0]?.headers['user-agent']).toMatch(/HeadlessChrome|Chrome/);
  });

  it('cancels a job on its service when the page stops watching it', async () => {
    const job = sim.create('evo', { reads: 1000 });
    await tab.evaluate((url) => (window as unknown as { pollTaskTest: { watchAndLeave(u: string): void } }).pollTaskTest.watchAndLeave(url), job.url);
    await tab.waitForSelector('#left:has-text("left after 3 polls")', { timeout: 10_000 });
    await until(() => sim.cancelRequested(job.id), 'the cancel', 10_000);
    expect(sim.requests.find((r) => r.method === 'DELETE')?.taskId).toBe(job.id);
  });

  it('holds polling while the page is hidden and resumes at once when it is shown', async () => {
    const task = sim.create('benchling', { reads: 100_000 });
    const reads = () => sim.requests.filter((r) => r.taskId === task.id).length;
    await tab.evaluate(() => {
      // The page's visibility, under the test's control.
      const state = { hidden: false };
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => state.hidden });
      (window as unknown as { setHidden(h: boolean): void }).setHidden = (hidden: boolean) => {
        state.hidden = hidden;
        document.dispatchEvent(new Event('visibilitychange'));
      };
    });
    await tab.evaluate(([url, id]) => (window as unknown as { pollTaskTest: { pollUnlessHidden(u: string, i: string): void } }).pollTaskTest.pollUnlessHidden(url!, id!), [sim.url, task.id]);
    await until(() => reads() >= 3, 'a few polls', 10_000);
    await tab.evaluate(() => (window as unknown as { setHidden(h: boolean): void }).setHidden(true));
    const hiddenAt = reads();
    // Ten poll intervals in a hidden tab: at most the request already on its way.
    await tab.waitForTimeout(200);
    expect(reads() - hiddenAt).toBeLessThanOrEqual(1);
    const beforeShown = reads();
    await tab.evaluate(() => (window as unknown as { setHidden(h: boolean): void }).setHidden(false));
    await until(() => reads() > beforeShown, 'the held request', 5_000);
    // And the page shows the reading it brought.
    await tab.waitForFunction((n) => Number(document.getElementById('polls')!.textContent) >= n, beforeShown + 1, { timeout: 5_000 });
    await tab.evaluate(() => (window as unknown as { pollTaskTest: { stop(): void } }).pollTaskTest.stop());
  });
});
