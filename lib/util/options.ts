import type { SchedulerLike } from 'rxjs';
import { quoted } from './excerpt.js';

// Option checks shared by every public factory. Each throws a TypeError that names the function, the
// option, what it must be and what it was, so a typo or a wrong unit is caught where it was written.

/** A value as a message shows it: strings quoted and clipped, functions, objects and arrays named, not dumped. */
export function show(value: unknown): string {
  if (typeof value === 'string') return quoted(value);
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

/** Every key of `T`, of each member when `T` is a union (where `keyof` gives only the keys all members share). */
export type KeysOf<T> = T extends unknown ? keyof T : never;

/**
 * The option names of the config type `T`, for {@link checkOptions}, taken from a record that names each one:
 * a name missing from the record, or one `T` does not have, is a type error, so the list cannot drift from the
 * type. Curried so that `T` is given and the record is checked against it; the names keep the record's order
 * (the order a message lists them in). A union type's names are those of all its members.
 *
 * @example
 * const optionNames = optionNamesOf<WaitOptions<unknown>>()({ strategy: true, timeoutMs: true, signal: true, cancelOnAbort: true, onProgress: true });
 */
export function optionNamesOf<T>(): (names: Record<KeysOf<T> & string, true>) => readonly string[] {
  return (names) => Object.freeze(Object.keys(names));
}

/** Throws unless `options` is undefined or a plain object whose keys are all in `known`. */
export function checkOptions(fn: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${fn}: options must be an object, but was ${show(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`${fn}: unknown option ${quoted(key)}; the options are ${known.join(', ')}.`);
    }
  }
}

/** A number of milliseconds (or a count) that is at least `min`; Infinity passes when `allowInfinity`. */
export function checkNumber(
  fn: string,
  name: string,
  value: unknown,
  fallback: number,
  { min = 0, max = Infinity, allowInfinity = false, integer = false } = {},
): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    value >= min &&
    value <= max &&
    (Number.isFinite(value) ? !integer || Number.isInteger(value) : allowInfinity && value === Infinity);
  if (!ok) {
    const kind = integer ? 'a whole number' : 'a number';
    const range = max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`;
    const inf = allowInfinity ? ' (or Infinity)' : '';
    throw new TypeError(`${fn}: option "${name}" must be ${kind} ${range}${inf}, but was ${show(value)}.`);
  }
  return value;
}

/** A function, or the fallback when left out. */
export function checkFunction<F extends (...args: never[]) => unknown>(
  fn: string,
  name: string,
  value: unknown,
  fallback: F,
): F {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') {
    throw new TypeError(`${fn}: option "${name}" must be a function, but was ${show(value)}.`);
  }
  return value as F;
}

/** An RxJS scheduler (anything with `now()` and `schedule()`), or the fallback when left out. */
export function checkScheduler(fn: string, value: unknown, fallback: SchedulerLike): SchedulerLike {
  if (value === undefined) return fallback;
  const candidate = value as Partial<SchedulerLike> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.now !== 'function' ||
    typeof candidate.schedule !== 'function'
  ) {
    throw new TypeError(
      `${fn}: option "scheduler" must be an RxJS scheduler (with now() and schedule()), but was ${show(value)}.`,
    );
  }
  return candidate as SchedulerLike;
}
