import { inspect } from 'node:util';
import { withInterval } from '../../lib/index.js';
import type { Run } from './sim.js';

/** Every way an error shows: String(), JSON, util.inspect() and each link of its cause chain (message, stack…). */
export function showingsOfError(error: unknown): string[] {
  const shown = [String(error), JSON.stringify(error) ?? '', inspect(error, { depth: Infinity, showHidden: true })];
  for (let link: unknown = error, depth = 0; link !== undefined && link !== null && depth < 20; link = (link as { cause?: unknown }).cause, depth++) {
    shown.push(String(link), (link as Error).message ?? '', (link as Error).stack ?? '', JSON.stringify(link) ?? '', inspect(link, { depth: Infinity, showHidden: true }));
  }
  return shown;
}

/** Everything a wait left for anyone to see: its snapshots and result, and its error. */
export function showingsOf(outcome: Run<unknown>): string[] {
  return [JSON.stringify(outcome.events), inspect(outcome.events, { depth: Infinity }), ...(outcome.error === undefined ? [] : showingsOfError(outcome.error))];
}

/** Fails when any of `values` shows in any of `texts`: as it is, JSON-escaped or util.inspect-escaped. */
export function expectNowhere(texts: readonly string[], values: readonly string[]): void {
  for (const text of texts) {
    for (const value of values) {
      for (const form of [value, JSON.stringify(value).slice(1, -1), inspect(value).slice(1, -1)]) expect(text.includes(form) ? `${form} in ${text.slice(0, 400)}` : 'absent').toBe('absent');
    }
  }
}

/** A strategy that asks once: the first error ends the wait. */
export const once = () => withInterval(0, { maxConsecutiveErrors: 0 });
