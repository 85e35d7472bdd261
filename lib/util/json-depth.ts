/**
 * The deepest nesting of arrays and objects poll-task accepts in a body or a resume token: `[]` is one level,
 * `{"a":[]}` two. JSON.parse reads any depth, but what comes after it recurses (io-ts codecs, JSON.stringify,
 * structuredClone, an app's own code) and overflows the stack at a few thousand levels; no task API nests
 * anywhere near 512.
 */
export const MAX_JSON_DEPTH = 512;

/**
 * Whether the JSON `text` nests arrays and objects deeper than `max` levels. Meant for text that JSON.parse
 * accepted: brackets inside strings are skipped. A loop, not a recursion; a text too short to be that deep
 * (fewer than 2·(max+1) characters, as every status answer) is not read at all.
 */
export function nestedDeeperThan(text: string, max = MAX_JSON_DEPTH): boolean {
  if (text.length < 2 * (max + 1)) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) {
      // A string: on to its closing quote, stepping over escapes.
      for (i++; i < text.length; i++) {
        const inside = text.charCodeAt(i);
        if (inside === 0x5c) i++;
        else if (inside === 0x22) break;
      }
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > max) return true;
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return false;
}
