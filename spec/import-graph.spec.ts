// What an app's bundler reaches from each entry: the core must not reach io-ts or fp-ts (a codec given by the
// user is called through its own decode), and a browser bundle of poll-task/http must not reach cross-fetch.
// Bundles are made with esbuild and read through its metafile: every file esbuild read is an input, whether
// or not tree shaking kept bytes of it. Sizes are measured in `npm run bench size`, not here.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, type Platform } from 'esbuild';

const root = resolve(__dirname, '..');

/** Every file esbuild read to bundle `entry` (a path from the project's root), as the metafile names it. */
async function inputsOf(entry: string, platform: Platform): Promise<string[]> {
  const result = await build({
    entryPoints: [join(root, entry)],
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    platform,
    external: ['rxjs'],
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
}

/** The packages under node_modules that esbuild read to bundle `entry` (a path from the project's root). */
async function packagesReached(entry: string, platform: Platform): Promise<string[]> {
  const packages = new Set<string>();
  for (const path of await inputsOf(entry, platform)) {
    const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    if (match !== null) packages.add(match[1]!);
  }
  return [...packages].sort();
}


describe('the core entry', () => {
  it('reaches no package but rxjs: not io-ts, not fp-ts, not cross-fetch', async () => {
    expect(await packagesReached('lib/index.ts', 'browser')).toEqual([]);
    expect(await packagesReached('lib/index.ts', 'node')).toEqual([]);
  });

  it('is checked by a look that sees io-ts and fp-ts where an entry does reach them', async () => {
    // The http entry's dialects are io-ts codecs: the same look must find them there.
    expect(await packagesReached('lib/http/index.ts', 'browser')).toEqual(expect.arrayContaining(['fp-ts', 'io-ts']));
  });
});

// The browser map that leaves cross-fetch out is written by `npm run build` into dist/esm/package.json and
// dist/cjs/package.json (npm test builds before jest runs), so these look at dist/.
describe.each(['esm', 'cjs'])('the built http entry (dist/%s)', (format) => {
  const entry = `dist/${format}/http/index.js`;

  beforeAll(() => {
    if (!existsSync(join(root, entry))) throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
  });

  it('bundled for a browser, reaches no cross-fetch: the browser build of cross-fetch.js carries none', async () => {
    const inputs = await inputsOf(entry, 'browser');
    expect(inputs).toContain(`dist/${format}/http/cross-fetch.browser.js`);
    expect(inputs).not.toContain(`dist/${format}/http/cross-fetch.js`);
    expect(await packagesReached(entry, 'browser')).not.toContain('cross-fetch');
  });

  it('bundled for Node, still carries cross-fetch (a user may pass it as `fetch`)', async () => {
    expect(await packagesReached(entry, 'node')).toContain('cross-fetch');
  });
});
