import type * as t from 'io-ts';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { DecodeError } from '../errors.js';

const EXCERPT_CHARS = 200;

/** A short, single-line excerpt of a value for error messages. */
export function excerpt(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}

/**
 * Decodes `value` with `codec`, or throws a {@link DecodeError} whose issues are io-ts PathReporter lines and
 * whose message names `what` (e.g. `the result of task "job-1"`), the first issue and an excerpt.
 */
export function decodeOrThrow<A>(
  codec: t.Decoder<unknown, A>,
  value: unknown,
  what: string,
  taskId?: string,
  hint = 'Check that the codec matches what the service sends.',
): A {
  const validation = codec.decode(value);
  if (validation._tag === 'Right') return validation.right;
  const issues = PathReporter.report(validation);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new DecodeError(
    `${what} does not have the expected shape (${codec.name}): ${issues[0]}${more}; received ${excerpt(value)}. ${hint}`,
    issues,
    taskId === undefined ? {} : { taskId },
  );
}
