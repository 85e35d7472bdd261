import { isPollTaskError } from '../errors.js';
import type { CliStream } from './io.js';

/**
 * How a wait ended, in the word the command shows on its last bar or line: each end its own word, so the end
 * is clear without colour. `error` is every other end (the service could not be read, or answered something
 * unreadable), with exit code 4.
 */
export type EndState = 'succeeded' | 'failed' | 'canceled' | 'timed out' | 'interrupted' | 'error';

/** The end a wait's error stands for. */
export function endStateOf(error: unknown): EndState {
  if (!isPollTaskError(error)) return 'error';
  switch (error.kind) {
    case 'task-failed':
      return 'failed';
    case 'task-canceled':
      return 'canceled';
    case 'timeout':
      return 'timed out';
    default:
      return 'error';
  }
}

/** The SGR colour of each end: green for success, red for a failure or an error, yellow for an end that is neither. */
const colours: Readonly<Record<EndState, number>> = {
  succeeded: 32,
  failed: 31,
  canceled: 33,
  'timed out': 33,
  interrupted: 33,
  error: 31,
};

/**
 * Whether to colour what goes to `stream`, as the conventions say: `FORCE_COLOR` decides when set (`0` or
 * `false` for no colour, anything else for colour); otherwise `NO_COLOR` set to anything but the empty string
 * means no colour (no-color.org), and so does `TERM=dumb`; otherwise a terminal is coloured, and nothing else is.
 */
export function useColour(stream: CliStream, env: Readonly<Record<string, string | undefined>>): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** The word for `state`, in its colour when `colour` is true, plain otherwise. */
export function endWord(state: EndState, colour: boolean): string {
  return colour ? `\x1b[${colours[state]}m${state}\x1b[39m` : state;
}
