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

/**
 * Whether `codec` is built only of io-ts combinators whose decode answers its very input whenever `is`
 * accepts it: no conversions (`DateFromISOString`), no stripping (`exact`, `strict`), no copies. io-ts's own
 * `type`, `partial`, `intersection`, `union`, `array` and `refinement` return the input itself when none of
 * their parts changed it. Unknown tags, and codecs made with `new t.Type`, answer false.
 */
function decodesToItself(codec: unknown, depth = 0): boolean {
  if (depth > 32 || typeof codec !== 'object' || codec === null || typeof (codec as { is?: unknown }).is !== 'function') return false;
  const parts = codec as { _tag?: unknown; props?: Record<string, unknown>; types?: readonly unknown[]; type?: unknown };
  switch (parts._tag) {
    case 'NullType':
    case 'UndefinedType':
    case 'VoidType':
    case 'UnknownType':
    case 'AnyType':
    case 'StringType':
    case 'NumberType':
    case 'BigIntType':
    case 'BooleanType':
    case 'AnyArrayType':
    case 'AnyDictionaryType':
    case 'LiteralType':
    case 'KeyofType':
      return true;
    case 'InterfaceType':
    case 'PartialType':
      return parts.props !== undefined && Object.values(parts.props).every((part) => decodesToItself(part, depth + 1));
    case 'UnionType':
    case 'IntersectionType':
      return parts.types !== undefined && parts.types.every((part) => decodesToItself(part, depth + 1));
    case 'ArrayType':
    case 'ReadonlyArrayType':
    case 'ReadonlyType':
    case 'RefinementType':
      return decodesToItself(parts.type, depth + 1);
    default:
      return false;
  }
}

// A dialect's codec serves every source of that service: each codec is looked at once.
const plainCodecs = new WeakMap<object, boolean>();

function isPlain(codec: object): boolean {
  let plain = plainCodecs.get(codec);
  if (plain === undefined) plainCodecs.set(codec, (plain = decodesToItself(codec)));
  return plain;
}

/**
 * {@link decodeOrThrow} with `codec` and the message fixed, for a codec that decodes many values (a source's
 * status or result codec). Where the codec decodes a valid value to that value itself (see decodesToItself),
 * its `is` answers for it: a guard allocates nothing, where decode allocates a result per field. Anything `is`
 * refuses goes through decode, which reports what is wrong.
 */
export function decoderFor<A>(codec: t.Decoder<unknown, A>, what: string, taskId?: string, hint?: string): (value: unknown) => A {
  const decode = (value: unknown): A => decodeOrThrow(codec, value, what, taskId, hint);
  if (!isPlain(codec)) return decode;
  const is = (codec as unknown as { is: t.Is<A> }).is.bind(codec);
  return (value) => (is(value) ? value : decode(value));
}
