// Run after `npm install` changes package-lock.json (`node .ci/prune-lockfile.mjs`).
//
// The registry this project installs from serves each native package only for the platforms it has
// cached, so npm 11 writes a lock file that lists optional platform bindings (e.g. jest's
// @unrs/resolver-binding-*) without recording them, and `npm ci` then refuses the lock file as out of
// sync. This drops, from each package's optionalDependencies in the lock file, the ones that have no
// entry of their own: npm skips missing optional dependencies on install anyway.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const present = new Set(Object.keys(lock.packages).map((key) => key.replace(/^.*node_modules\//, '')));
let dropped = 0;
for (const entry of Object.values(lock.packages)) {
  if (!entry.optionalDependencies) continue;
  for (const name of Object.keys(entry.optionalDependencies)) {
    if (!present.has(name)) {
      delete entry.optionalDependencies[name];
      dropped++;
    }
  }
  if (Object.keys(entry.optionalDependencies).length === 0) delete entry.optionalDependencies;
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`prune-lockfile: dropped ${dropped} optional dependencies the registry does not serve`);
