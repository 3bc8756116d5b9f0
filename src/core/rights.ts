// The register's two rights and what each kind of request needs. Pure: the
// users service stores a user's rights, the server asks `access` whether a
// request may go on, and every route names one Access in its table.

import { CoffreError } from './errors.js';

/** "Export data" and "Manage settings", as the register names them. */
export const RIGHTS = ['export', 'settings'] as const;
export type Right = (typeof RIGHTS)[number];

/** What a user sees for each right. */
export const RIGHT_NAMES: Record<Right, string> = {
  export: 'Export data',
  settings: 'Manage settings',
};

/** Usual sets of rights: an accountant or tax auditor exports; an admin has both. */
export const ROLES = {
  accountant: ['export'],
  admin: ['export', 'settings'],
} as const satisfies Record<string, readonly Right[]>;

/**
 * What a route needs: nothing (public), any signed-in user, one right, or
 * both (the full Backup center).
 */
export const ACCESS = ['public', 'signed-in', 'export', 'settings', 'export+settings'] as const;
export type Access = (typeof ACCESS)[number];

export function isAccess(value: unknown): value is Access {
  return typeof value === 'string' && (ACCESS as readonly string[]).includes(value);
}

/**
 * Whether a request may go on: `null` rights means signed out. 'auth' asks
 * to sign in; 'forbidden' says the user lacks a right.
 */
export function decide(
  access: Access,
  rights: readonly Right[] | null,
): 'ok' | 'auth' | 'forbidden' {
  if (access === 'public') return 'ok';
  if (rights === null) return 'auth';
  const needed: Right[] =
    access === 'signed-in' ? [] : access === 'export+settings' ? ['export', 'settings'] : [access];
  return needed.every((r) => rights.includes(r)) ? 'ok' : 'forbidden';
}

/** Rights from a list such as "export,settings" (or a role name); unknown words are refused. */
export function parseRights(input: string | readonly string[]): Right[] {
  const words = (typeof input === 'string' ? input.split(',') : [...input])
    .map((w) => w.trim())
    .filter((w) => w !== '' && w !== 'none');
  const out = new Set<Right>();
  for (const w of words) {
    if (w in ROLES) for (const r of ROLES[w as keyof typeof ROLES]) out.add(r);
    else if ((RIGHTS as readonly string[]).includes(w)) out.add(w as Right);
    else
      throw new CoffreError(
        'USAGE',
        `Unknown right "${w}": the rights are ${RIGHTS.join(', ')} (or the roles ${Object.keys(ROLES).join(', ')}).`,
      );
  }
  return RIGHTS.filter((r) => out.has(r));
}

/** A user name Coffre accepts: letters, digits, dot, dash, underscore, at most 64. */
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Whether a user could have this name (letters, digits, . _ @ -, at most 64). */
export function isUserName(name: string): boolean {
  return USER_NAME.test(name);
}

export function checkUserName(name: string): string {
  if (!isUserName(name)) {
    throw new CoffreError(
      'USAGE',
      `"${name}" is not a valid user name: use letters, digits, dots, dashes or underscores (at most 64).`,
    );
  }
  return name;
}

export const MIN_PASSWORD_LENGTH = 10;

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new CoffreError(
      'USAGE',
      `The password is too short: use at least ${MIN_PASSWORD_LENGTH} characters.`,
    );
  }
  if (password.length > 1024) throw new CoffreError('USAGE', 'The password is too long.');
}

/**
 * The growing delay after failed sign-ins: the first few are free, then the
 * wait doubles from one second, up to 15 minutes. Never a permanent lockout.
 */
export function loginDelayMs(failures: number): number {
  const FREE = 3;
  if (failures < FREE) return 0;
  return Math.min(1000 * 2 ** (failures - FREE), 15 * 60 * 1000);
}
