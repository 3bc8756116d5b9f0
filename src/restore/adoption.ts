// Adoption (a replaced register): what data an installation holds of its own
// (beyond a fresh install's seed rows, which the app's profile declares), and
// taking over the adopted register's identity and trusted key.

import fs from 'node:fs';
import { CoffreError } from '../core/errors.js';
import type { Profile } from '../core/profiles.js';
import type { Catalog } from '../services/catalog.js';
import { beyondFreshInstall } from '../source/profile-queries.js';
import { openDatabase, userTables } from '../source/sqlite.js';
import type { ConfigStore } from '../state/config.js';
import type { Identity, IdentityStore } from '../state/identity.js';
import type { RestoreJournal } from './journal.js';

/**
 * The one test of a fresh installation, the only kind that may adopt a
 * register's identity and trust its key without a further consent: the rows
 * it holds beyond what the profile says a fresh install of the app has, by
 * table, and its own backups. Empty: a fresh installation.
 */
export async function dataOfItsOwn(
  liveDb: string,
  key: string | null,
  profile: Profile,
  catalog: Pick<Catalog, 'list'>,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  if (fs.existsSync(liveDb)) {
    const db = openDatabase(liveDb, { key, readonly: true });
    try {
      Object.assign(out, beyondFreshInstall(db, userTables(db), profile));
    } finally {
      db.close();
    }
  }
  const backups = (await catalog.list()).backups.length;
  if (backups > 0) out['backups of its own'] = backups;
  return out;
}

/**
 * Takes over a register's identity (adoption), keeping its key as trusted,
 * and goes on encrypting to its recipients when the plan said so.
 */
export async function adoptRegister(
  config: ConfigStore,
  identity: IdentityStore,
  register: NonNullable<RestoreJournal['adopt']>,
): Promise<void> {
  const recipients = register.recipients ?? [];
  if (recipients.length > 0) {
    await config.update(
      (c) =>
        c.encryption.recipients.length > 0 || c.encryption.passphraseFile
          ? c
          : { ...c, encryption: { ...c.encryption, recipients, passphraseFile: null } },
      'encryption-adopted',
    );
  }
  const current = identity.get();
  const trusted = new Set([...(current.trustedKeys ?? []), register.publicKey]);
  const adopted: Identity = {
    ...current,
    id: register.id,
    name: register.name,
    trustedKeys: [...trusted],
  };
  await identity.replace(adopted);
}

/**
 * FOREIGN_REGISTER: adopting a register (signed by `keyFingerprint`, which
 * this one does not trust) would replace data this installation holds of its
 * own, which needs an explicit consent (replaceData).
 */
export function replacesOwnData(
  registerId: string,
  keyFingerprint: string,
  data: Record<string, number>,
): CoffreError {
  const held = Object.entries(data)
    .map(([t, n]) => `${n} row(s) in ${t}`)
    .join(', ');
  return new CoffreError(
    'FOREIGN_REGISTER',
    `This backup is signed by a key this register does not trust (${keyFingerprint}), and this installation already has data of its own (${held}): adopting a register's identity and trusting its key replaces that data, which needs an explicit consent.`,
    { details: { registerId, keyFingerprint, notFresh: true, data } },
  );
}
