import { parseArgs } from 'node:util';
import { clip } from '../util/excerpt.js';

/**
 * A command line that cannot be run as given; the message says what was wrong and what to do. Exit code 2.
 * The command that catches it prints the message and one line on how to get its help (see {@link usageErrorText}).
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * What a usage error prints on stderr: the error, then one line on where the options are, e.g.
 * `poll-task watch: --dialect is required: …` and `Run poll-task watch --help for its options.`
 * `command` is the command's name (`watch`), or undefined for the top level.
 */
export function usageErrorText(command: string | undefined, message: string): string {
  const name = command === undefined ? 'poll-task' : `poll-task ${command}`;
  return `${name}: ${message}\nRun ${name} --help for ${command === undefined ? 'the commands' : 'its options and exit codes'}.\n`;
}

/** The options of a command, as node:util's parseArgs takes them. */
export type OptionSpecs = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly multiple?: boolean; readonly short?: string }>>;

/** What the options `O` hold once read: a string, a list of strings (`multiple`), true, or nothing when not given. */
export type OptionValues<O extends OptionSpecs> = {
  readonly [K in keyof O]?: O[K] extends { readonly multiple: true } ? string[] : O[K]['type'] extends 'string' ? string : boolean;
};

/** A command line read by {@link readCommandLine}. */
export interface CommandLine<O extends OptionSpecs> {
  readonly values: OptionValues<O>;
  readonly positionals: readonly string[];
}

/**
 * Reads a command's arguments with node:util's parseArgs (strict), adding `--help` / `-h`. Returns 'help' when
 * help was asked for anywhere on the line, even beside a mistake; otherwise the values, or throws a
 * {@link UsageError} that says in the command's own words what was wrong. The parser's errors are told apart
 * by their `code`, and the argument at fault is found from the parser's tokens, never from its message.
 */
export function readCommandLine<O extends OptionSpecs>(argv: readonly string[], options: O, allowPositionals: boolean): CommandLine<O> | 'help' {
  // Typed as the plain option specs: the values are typed from `O` below.
  const all: OptionSpecs = { ...options, help: { type: 'boolean', short: 'h' } };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: all, strict: true, allowPositionals });
  } catch (error) {
    // The same line read leniently: every argument as a token, to find the one at fault (and a --help).
    const { tokens } = parseArgs({ args: [...argv], options: all, strict: false, allowPositionals: true, tokens: true });
    if (tokens.some((token) => token.kind === 'option' && token.name === 'help')) return 'help';
    throw new UsageError(parserFault((error as { code?: unknown }).code, tokens, all));
  }
  if ((parsed.values as Record<string, unknown>).help === true) return 'help';
  return { values: parsed.values as OptionValues<O>, positionals: parsed.positionals };
}

type Token = ReturnType<typeof parseArgs>['tokens'] extends readonly (infer T)[] | undefined ? T : never;

/** What was wrong with the command line, in words, for a parseArgs error `code`. */
function parserFault(code: unknown, tokens: readonly Token[], options: OptionSpecs): string {
  const option = (token: Token) => (token.kind === 'option' ? options[token.name] : undefined);
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const token = tokens.find((t) => t.kind === 'option' && option(t) === undefined);
      if (token?.kind !== 'option') break;
      const near = nearestOption(token.name, options);
      return `${clip(token.rawName, 100)} is not an option of this command${near === undefined ? '.' : `; did you mean --${near}?`}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      for (const token of tokens) {
        if (token.kind !== 'option') continue;
        const spec = option(token);
        if (spec?.type === 'boolean' && token.inlineValue === true) return `${token.rawName} takes no value; give ${token.rawName} alone.`;
        if (spec?.type === 'string' && token.value === undefined) return `${token.rawName} is given without its value.`;
        if (spec?.type === 'string' && token.inlineValue === false && token.value?.startsWith('-')) {
          return `${token.rawName} needs a value, and is followed by an option; a value that starts with a dash is given as ${token.rawName}=<value>.`;
        }
      }
      break;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const token = tokens.find((t) => t.kind === 'positional');
      // The argument is clipped and its control characters written out: it is shown, not acted on.
      if (token?.kind === 'positional') return `this command takes no arguments, only options, but was given ${clip(JSON.stringify(token.value), 100)}.`;
      break;
    }
  }
  return 'the command line could not be read.';
}

/** The option whose name is within two edits of `name` (a typo), if exactly one is nearest. */
function nearestOption(name: string, options: OptionSpecs): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of Object.keys(options)) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    } else if (distance === bestDistance) best = undefined;
  }
  return best;
}

/** Levenshtein distance, for names of a few dozen characters at most (longer names are not typos of an option). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64) return Infinity;
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `500ms`, `2s`, `1.5s`, `10m` or `1h` into milliseconds. */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (match === null) {
    throw new UsageError(`${option} takes a duration such as 500ms, 2s or 10m, not ${JSON.stringify(text)}.`);
  }
  const ms = Number(match[1]) * units[match[2]!]!;
  // Any length a wait can have is taken (timers are chained past 24.8 days); beyond it, a typo is likelier.
  if (ms > Number.MAX_SAFE_INTEGER) {
    throw new UsageError(`${option} ${text.trim()} is longer than the longest wait, ${Number.MAX_SAFE_INTEGER} ms (about 285,000 years).`);
  }
  return ms;
}

/** Parses `--backoff 1s..30s` into the first and the longest delay. */
export function parseBackoff(text: string): { initialDelayMs: number; maxDelayMs: number } {
  const parts = text.split('..');
  if (parts.length !== 2) throw new UsageError(`--backoff takes a range such as 1s..30s (first delay..longest delay), not ${JSON.stringify(text)}.`);
  const initialDelayMs = parseDuration(parts[0]!, '--backoff');
  const maxDelayMs = parseDuration(parts[1]!, '--backoff');
  if (maxDelayMs < initialDelayMs) throw new UsageError(`--backoff ${text}: the longest delay must not be shorter than the first.`);
  return { initialDelayMs, maxDelayMs };
}

/**
 * The request headers: `--header 'Name: value'` options, then `POLL_TASK_HEADER_<NAME>` variables (underscores
 * become dashes: POLL_TASK_HEADER_X_API_KEY is x-api-key), which keep tokens out of shell history.
 */
export function parseHeaders(given: readonly string[], env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const header of given) {
    const colon = header.indexOf(':');
    const name = colon < 0 ? '' : header.slice(0, colon).trim();
    if (name === '' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      // The value may be a secret: name only what was wrong with the header's shape.
      throw new UsageError(`--header takes 'Name: value' (a header name, a colon, the value); one of them has ${colon < 0 ? 'no colon' : 'no valid name'}.`);
    }
    headers[name.toLowerCase()] = header.slice(colon + 1).trim();
  }
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('POLL_TASK_HEADER_') || value === undefined || key.length === 'POLL_TASK_HEADER_'.length) continue;
    const name = key.slice('POLL_TASK_HEADER_'.length).toLowerCase().replace(/_/g, '-');
    headers[name] ??= value;
  }
  return headers;
}

/** Milliseconds as a short human text: 850ms, 12.3s, 4m05s. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

/** A command's exit codes, each with what it means, in the order its help lists them. */
export type ExitCodes = readonly (readonly [code: number, meaning: string])[];

/** The "Exit codes:" section of a command's help, one code a line. */
export function exitCodeLines(codes: ExitCodes): string {
  const lines = ['Exit codes:'];
  for (const [code, meaning] of codes) {
    // Wrapped at 110 columns, under the meaning's first word.
    let line = `  ${String(code).padEnd(5)}`;
    for (const word of meaning.split(' ')) {
      if (line.trim() !== String(code) && line.length + 1 + word.length > 110) {
        lines.push(line);
        line = ' '.repeat(7);
      }
      line += line.endsWith(' ') ? word : ` ${word}`;
    }
    lines.push(line);
  }
  return lines.join('\n');
}
