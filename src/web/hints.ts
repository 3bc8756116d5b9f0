// The page's words for what to do after an error: the library's message says
// what happened, this says what to do next in the page's own terms (tabs and
// buttons, never a command or a flag). The CLI has its own (src/cli/messages.ts).

import type { ErrorCode } from '../index.js';

const HINTS: Partial<Record<ErrorCode, string>> = {
  INTERNAL:
    'Try again; if it happens again, give the error id to whoever looks after the register.',
  NOT_INITIALIZED: 'Coffre is not set up on this register yet: ask whoever installed it.',
  HOME_UNAVAILABLE:
    "Coffre cannot read its own folder: ask whoever installed it to check the folder's access.",
  SOURCE_UNAVAILABLE:
    "Coffre cannot read the app's data: check that the app is installed and its data is in place, then try again.",
  ENCRYPTION_REQUIRED: 'Set up encryption first: Auto tab, Encryption.',
  KEY_REQUIRED: 'Give the key file or the passphrase this backup was made with.',
  WRONG_KEY:
    'Use the key or passphrase this backup was made with. Without it, an encrypted backup cannot be opened.',
  CORRUPT_ARCHIVE: 'Do not restore from this copy: choose another copy or an earlier backup.',
  BAD_SIGNATURE:
    'This archive may have been altered. Do not restore from it: choose another copy or an earlier backup.',
  UNSUPPORTED_FORMAT: 'Update Coffre to a version that reads this archive.',
  FOREIGN_REGISTER: 'Choose a backup of this register (the Restore tab lists them).',
  BACKUP_NOT_FOUND:
    'It may have been deleted meanwhile: reload the page and choose another backup.',
  DESTINATION_UNAVAILABLE:
    'Plug in the drive (or check the network for the cloud) and try again, or untick that destination.',
  DESTINATION_READ_ONLY:
    'Make the drive writable (unlock the USB stick) and try again, or untick that destination.',
  DESTINATION_AUTH:
    "The cloud refused Coffre's access key: ask whoever set up the cloud destination to check it.",
  QUOTA_EXCEEDED:
    'Keep fewer backups in the cloud (Auto tab, Retention) or delete old ones (Maintenance tab), or raise the quota.',
  UNENCRYPTED_UPLOAD: 'Set up encryption first (Auto tab, Encryption), or untick the cloud.',
  DISK_FULL:
    'Free some space on that drive (old backups, other files), or choose another destination.',
  BUSY: 'Wait for it to finish (the Backup tab shows its progress), then try again.',
  SCHEMA_TOO_NEW:
    'Update the app to the version that made this backup, then restore. Nothing was changed.',
  RESTORE_CONFLICT: 'Nothing was changed. Restore the sections together, or choose Everything.',
  CANCELLED: 'Nothing was kept. Start it again when you are ready.',
  FORBIDDEN: 'Ask someone who manages settings to give your user the right it needs.',
};

/** What to do next after an error of this kind, or null when the message says it all. */
export function pageHint(code: string): string | null {
  return HINTS[code as ErrorCode] ?? null;
}
