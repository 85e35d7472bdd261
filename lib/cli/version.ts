import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The version of the poll-task package that holds `file`, as its package.json says: the nearest package.json
 * named `poll-task` in the folders above the file, the file's links followed first (npx runs the command through
 * a link in node_modules/.bin, next to the user's own package.json). Undefined when none is found or readable.
 * Read at run time, so dist/cjs and dist/esm both say what the installed package.json says.
 */
export function packageVersion(file: string): string | undefined {
  let folder: string;
  try {
    folder = dirname(realpathSync(file));
  } catch {
    return undefined;
  }
  for (;;) {
    const found = versionIn(join(folder, 'package.json'));
    if (found !== undefined) return found;
    const parent = dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
}

/** The version in `path` when it is poll-task's package.json; undefined for any other file, or none. */
function versionIn(path: string): string | undefined {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  const { name, version } = (typeof manifest === 'object' && manifest !== null ? manifest : {}) as { name?: unknown; version?: unknown };
  return name === 'poll-task' && typeof version === 'string' ? version : undefined;
}
