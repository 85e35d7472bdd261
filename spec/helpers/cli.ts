import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { CliIo, InterruptSignal } from '../../lib/cli/io.js';
import { packageVersion } from '../../lib/cli/version.js';

/** A CliIo that records what the command writes, with a Ctrl-C (or SIGTERM) button. */
export function fakeIo(env: Record<string, string> = {}, tty = false) {
  const out: string[] = [];
  const err: string[] = [];
  let interrupt: ((signal?: InterruptSignal) => void) | undefined;
  const io: CliIo = {
    stdout: { write: (text: string) => out.push(text), isTTY: tty },
    stderr: { write: (text: string) => err.push(text) },
    env,
    version: () => packageVersion(resolve(__dirname, '../../lib/cli/main.ts')),
    onInterrupt(handler) {
      interrupt = handler;
      return () => (interrupt = undefined);
    },
  };
  return {
    io,
    out: () => out.join(''),
    err: () => err.join(''),
    lines: () => out.join('').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>),
    interrupt: (signal?: InterruptSignal) => interrupt?.(signal),
    interruptible: () => interrupt !== undefined,
  };
}

export const cliPath = resolve(__dirname, '../../dist/cjs/cli/main.js');

/** Runs the built command as a user would, collecting its output and exit code, within `limitMs`. */
export function runBuilt(
  args: readonly string[],
  options: { env?: Record<string, string>; limitMs?: number; onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      options.onStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const limit = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`poll-task ${args.join(' ')} did not end within ${options.limitMs ?? 20_000} ms; stdout: ${stdout}`));
    }, options.limitMs ?? 20_000);
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      done({ code, signal, stdout, stderr });
    });
  });
}

/** Removes terminal control sequences, leaving the text a person would read, one redraw a line. */
export function plain(text: string): string {
  return text
    .replace(/\x1b\[\d*G/g, '\n') // back to the line's start: a redraw begins
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .replace(/\x1b[78]/g, '\n')
    .replace(/\r/g, '\n');
}
