import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** The simulator in a child process (`poll-task serve`), so its work does not count in this process's figures. */
export async function serveInChild(): Promise<{ url: string; child: ChildProcess }> {
  const cli = resolve(__dirname, '../dist/cjs/cli/main.js'); // from .bench/, where this runs
  const child = spawn(process.execPath, [cli, 'serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((done) => {
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(text);
      if (match) done(match[1]!);
    });
  });
  return { url, child };
}

/** POSTs JSON and returns the parsed answer. */
export async function post(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}
