/**
 * The longest quote of someone else's text (a service's status word, error text or body; a token) in a
 * message, in characters. A longer text is cut there, ends in "…" and says how long it was.
 */
export const QUOTE_CHARS = 200;

/** The longest URL quoted in a message: longer than any real one (browsers and servers stop near 2,000). */
export const URL_CHARS = 2000;

// How deep previewValue looks into arrays and objects: the quote is clipped long before, and a bounded
// recursion cannot overflow the stack, whatever the value.
const PREVIEW_DEPTH = 16;

/** The last index to keep when cutting `text` at `end`, not splitting a surrogate pair. */
function cutAt(text: string, end: number): number {
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}

// Control characters other than whitespace (C0, DEL, C1): a terminal acts on them (ESC and CSI start escape
// sequences that set the title, clear the screen or move the cursor).
const controls = /[\u0000-\u001f\u007f-\u009f]/g;

/** `text` with every control character written out as `\xHH`, so that a terminal shows it and acts on none. */
function visible(text: string): string {
  return text.replace(controls, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * `text` as a quoted JSON string for a message that names a bad value: every character kept in sight (CR, LF
 * and other control characters escaped, not folded into spaces), clipped to `max` characters with its length.
 */
export function quoted(text: string, max = QUOTE_CHARS): string {
  const head = text.length > max ? text.slice(0, cutAt(text, max)) : text;
  return `${visible(JSON.stringify(head))}${head.length === text.length ? '' : `… (${text.length} characters)`}`;
}

/**
 * `text` on one line (runs of whitespace become one space, control characters are written out as `\xHH`),
 * clipped to `max` characters: a longer text is cut,
 * ends in "…" and says its length, e.g. `QUEUEDQUEUED… (1048576 characters)`. Only the head of the text is read,
 * so a quote costs the same for a word and for a megabyte.
 */
export function clip(text: string, max = QUOTE_CHARS): string {
  const head = text.length > 2 * max ? text.slice(0, 2 * max) : text;
  const line = visible(head.replace(/\s+/g, ' '));
  if (line.length <= max && head.length === text.length) return line;
  return `${line.length > max ? line.slice(0, cutAt(line, max)) : line}… (${text.length} characters)`;
}

interface Preview {
  text: string;
  cut: boolean;
  readonly max: number;
}

type AnyFunction = (...args: never[]) => unknown;

function functionName(value: AnyFunction): string {
  const named = value as AnyFunction & { displayName?: unknown };
  return typeof named.displayName === 'string' ? named.displayName : value.name !== '' ? value.name : `<function${value.length}>`;
}

/** Whether JSON leaves `value` out of an object (and writes null for it in an array). */
function unwritable(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function write(value: unknown, depth: number, out: Preview): void {
  if (out.text.length > out.max) {
    out.cut = true;
    return;
  }
  if (typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(): unknown }).toJSON();
  }
  if (typeof value === 'string') {
    const room = out.max - out.text.length + 1;
    if (value.length <= room) {
      out.text += JSON.stringify(value);
    } else {
      out.text += JSON.stringify(value.slice(0, cutAt(value, room)));
      out.cut = true;
    }
    return;
  }
  if (typeof value === 'number') {
    out.text += Number.isFinite(value) || depth === 0 ? String(value) : 'null';
    return;
  }
  if (typeof value === 'boolean' || typeof value === 'bigint') {
    out.text += String(value);
    return;
  }
  if (unwritable(value)) {
    out.text += depth > 0 ? 'null' : typeof value === 'function' ? functionName(value as AnyFunction) : typeof value === 'symbol' ? String(value) : 'undefined';
    return;
  }
  if (value === null) {
    out.text += 'null';
    return;
  }
  if (depth >= PREVIEW_DEPTH) {
    out.cut = true;
    return;
  }
  if (Array.isArray(value)) {
    out.text += '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.text += ',';
      write(value[i], depth + 1, out);
      if (out.cut) return;
    }
    out.text += ']';
    return;
  }
  out.text += '{';
  let first = true;
  for (const key in value as object) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    if (unwritable(item)) continue;
    if (!first) out.text += ',';
    first = false;
    out.text += `${JSON.stringify(key.length > out.max ? key.slice(0, cutAt(key, out.max)) : key)}:`;
    write(item, depth + 1, out);
    if (out.cut) return;
  }
  out.text += '}';
}

/**
 * `value` written as JSON.stringify would write it (strings quoted; a top-level `undefined`, `NaN` or
 * function named as io-ts's PathReporter names them), but never longer than `max` characters and never more
 * than 16 levels deep: a longer or deeper value is cut and ends in "…". Never throws, whatever the value
 * (nested a million levels deep, cyclic, with throwing getters).
 */
export function previewValue(value: unknown, max = QUOTE_CHARS): string {
  const out: Preview = { text: '', cut: false, max };
  try {
    write(value, 0, out);
  } catch {
    out.cut = true;
  }
  if (!out.cut && out.text.length <= max) return out.text;
  return `${out.text.length > max ? out.text.slice(0, cutAt(out.text, max)) : out.text}…`;
}

/**
 * A short, single-line excerpt of a value for error messages: a string as it is, anything else as JSON,
 * clipped to {@link QUOTE_CHARS} characters (see {@link clip}). Every quote of a service's text in a message
 * goes through it. Never throws.
 */
export function excerpt(value: unknown): string {
  return typeof value === 'string' ? clip(value) : visible(previewValue(value).replace(/\s+/g, ' '));
}
