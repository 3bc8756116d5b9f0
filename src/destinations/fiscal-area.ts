// The `fiscal/` area of a destination, where fiscal archives live apart from
// backups: a `fiscal` sub-folder of a folder destination, a `fiscal/` prefix
// inside a cloud destination's prefix. Backup listings, retention, prune and
// delete never see it: a folder lists only its own entries, and a cloud
// destination only the keys under PREFIX/REGISTER8/.

import fsp from 'node:fs/promises';
import path from 'node:path';
import { fsErrorCode } from '../core/errors.js';
import { parseFiscalSidecarText } from '../core/sidecar.js';
import type { DestinationConfig } from '../state/config.js';
import { FolderDestination } from './folder.js';
import { openDestination, type OpenContext } from './open.js';
import type { Destination } from './types.js';

export const FISCAL_AREA = 'fiscal';

/** A folder's fiscal area: made on first use, but only when the folder itself is there (a drive plugged in). */
class FiscalFolder extends FolderDestination {
  constructor(
    name: string,
    kind: 'local' | 'external',
    private readonly parent: string,
  ) {
    super(name, kind, path.join(parent, FISCAL_AREA), parseFiscalSidecarText);
  }

  override async check(): Promise<void> {
    if (this.kind === 'local') await fsp.mkdir(this.parent, { recursive: true });
    try {
      await fsp.mkdir(this.location);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Anything else (an unplugged drive, a read-only medium) is for check() to word.
      if (code !== 'EEXIST' && fsErrorCode(err) === undefined) throw err;
    }
    await super.check();
  }
}

/** The fiscal area of the home's `local` folder (conf null) or of a configured destination. */
export function openFiscalArea(
  name: string,
  conf: DestinationConfig | null,
  localFolder: string,
  context: OpenContext,
): Destination {
  if (conf === null) return new FiscalFolder(name, 'local', localFolder);
  if (conf.kind === 'external')
    return new FiscalFolder(name, 'external', context.resolvePath(conf.path));
  return openDestination(
    name,
    { ...conf, prefix: `${conf.prefix}${FISCAL_AREA}/` },
    {
      ...context,
      parseSidecar: parseFiscalSidecarText,
    },
  );
}
