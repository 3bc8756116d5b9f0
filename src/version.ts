// Coffre's own version, from package.json, recorded in every archive.

import fs from 'node:fs';

const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const COFFRE_VERSION: string = pkg.version;
