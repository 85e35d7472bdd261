import type * as t from 'io-ts';
import { DecodeError } from '../errors.js';
import { clip, excerpt, previewValue } from './excerpt.js';

/**
 * io-ts PathReporter's lines (`Invalid value 7 supplied to : Codec/status: string`), with each value and key
 * clipped (see previewValue): a megabyte value makes a short line, a value nested a million levels deep a
 * line all the same.
 */
function report(errors: t.Errors): string[] {
  return errors.map((error) => {
    if (error.message !== undefined) return clip(error.message);
    const path = error.context.map(({ key, type }) => `${clip(key)}: ${type.name}`).join('/');
    return `Invalid value ${previewValue(error.value)} supplied to ${path}`;
  });
}

/**
 * Decodes `value` with `codec`, or throws a {@link DecodeError} whose issues are io-ts PathReporter lines and
 * whose message names `what` (e.g. `the result of task "job-1"`), the first issue and an excerpt. A codec that
 * throws a RangeError (a recursive codec on a value nested deeper than the stack allows) is a DecodeError too,
 * with the RangeError as its cause.
 */
export function decodeOrThrow<A>(
  codec: t.Decoder<unknown, A>,
  value: unknown,
  what: string,
  taskId?: string,
  hint = 'Check that the codec matches what the service sends.',
): A {
  let issues: string[];
  try {
    const validation = codec.decode(value);
    if (validation._tag === 'Right') return validation.right;
    issues = report(validation.left);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new DecodeError(
      `${what} could not be checked against ${codec.name}: the codec threw ${error.name} (${clip(error.message)}), as a recursive codec does on a value nested deeper than the stack allows; received ${excerpt(value)}. ${hint}`,
      [`the codec threw ${error.name}`],
      { cause: error, ...(taskId === undefined ? {} : { taskId }) },
    );
  }
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new DecodeError(
    `${what} does not have the expected shape (${codec.name}): ${issues[0]}${more}; received ${excerpt(value)}. ${hint}`,
    issues,
    taskId === undefined ? {} : { taskId },
  );
}
