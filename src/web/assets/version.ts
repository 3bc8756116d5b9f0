// A short hash of the stylesheet and script, in their URLs: browsers may
// cache them for long, and a new version gets a new URL.

import { createHash } from 'node:crypto';
import { SCRIPT } from './script.js';
import { STYLE } from './style.js';

export const ASSET_VERSION = createHash('sha256')
  .update(STYLE)
  .update(SCRIPT)
  .digest('hex')
  .slice(0, 12);
