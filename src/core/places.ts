// Where destinations write, compared: two destinations on the same place
// (or one inside the other) clean up each other's uploads, count each
// other's backups and delete from each other. Pure: folder paths come in
// already resolved (realpath, see destinations/places.ts), endpoints as the
// user typed them.

import path from 'node:path';

export interface FolderPlace {
  kind: 'folder';
  /** The destination's name ("local" for the home's backups folder). */
  name: string;
  /** Absolute, with every link resolved. */
  path: string;
}

export interface BucketPlace {
  kind: 's3';
  name: string;
  endpoint: string;
  bucket: string;
  /** '' or folders ending with '/'. */
  prefix: string;
}

export type Place = FolderPlace | BucketPlace;

/** How a candidate place stands to an existing one. */
export type PlaceRelation = 'same' | 'inside' | 'contains';

export interface PlaceOverlap {
  /** The existing destination it overlaps. */
  name: string;
  relation: PlaceRelation;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    /^127(\.\d{1,3}){3}$/.test(h) ||
    h === '::1' ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(h) ||
    /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(h)
  );
}

/**
 * Pure: an S3 endpoint in one canonical form, so that two spellings of one
 * service compare equal: scheme and host in lower case, the default port
 * (80, 443) dropped, trailing slashes dropped, every loopback name
 * (localhost, 127.0.0.0/8, ::1) as one, and every AWS S3 endpoint as one
 * (bucket names are global there). Not a URL: returns the input trimmed
 * when it does not parse.
 */
export function normalizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    return endpoint.trim().replace(/\/+$/, '').toLowerCase();
  }
  const scheme = url.protocol.toLowerCase();
  const port =
    url.port === '' ? (scheme === 'http:' ? '80' : scheme === 'https:' ? '443' : '') : url.port;
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (/(^|\.)amazonaws\.com(\.cn)?$/.test(host))
    return `aws-s3${host.endsWith('.cn') ? '-cn' : ''}`;
  const where = isLoopback(host) ? 'loopback' : host;
  const rest = url.pathname.replace(/\/+$/, '');
  return `${scheme}//${where}:${port}${rest}`;
}

/** Pure: how folder `a` stands to folder `b` (both absolute and resolved), or null when apart. */
export function folderRelation(a: string, b: string): PlaceRelation | null {
  const x = path.resolve(a);
  const y = path.resolve(b);
  if (x === y) return 'same';
  const under = (child: string, parent: string) =>
    child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
  if (under(x, y)) return 'inside';
  if (under(y, x)) return 'contains';
  return null;
}

function bucketRelation(a: BucketPlace, b: BucketPlace): PlaceRelation | null {
  if (normalizeEndpoint(a.endpoint) !== normalizeEndpoint(b.endpoint)) return null;
  if (a.bucket.toLowerCase() !== b.bucket.toLowerCase()) return null;
  const pa = a.prefix.replace(/^\/+/, '');
  const pb = b.prefix.replace(/^\/+/, '');
  if (pa === pb) return 'same';
  if (pa.startsWith(pb)) return 'inside';
  if (pb.startsWith(pa)) return 'contains';
  return null;
}

/**
 * Pure: the first existing place the candidate overlaps (the same place, a
 * place inside it, or one it is inside), or null. `others` should hold the
 * home's backups folder as "local" and every other destination; an entry
 * with the candidate's own name is skipped (a destination being changed).
 */
export function placeOverlap(candidate: Place, others: readonly Place[]): PlaceOverlap | null {
  for (const other of others) {
    if (other.name === candidate.name) continue;
    const relation =
      candidate.kind === 'folder' && other.kind === 'folder'
        ? folderRelation(candidate.path, other.path)
        : candidate.kind === 's3' && other.kind === 's3'
          ? bucketRelation(candidate, other)
          : null;
    if (relation) return { name: other.name, relation };
  }
  return null;
}

/** Two folders overlap when they are the same or one is inside the other (paths already resolved). */
export function foldersOverlap(a: string, b: string): boolean {
  return folderRelation(a, b) !== null;
}

export type CloudPlace = Omit<BucketPlace, 'kind' | 'name'>;

/** Two cloud places overlap on the same endpoint and bucket when one prefix holds the other. */
export function cloudPlacesOverlap(a: CloudPlace, b: CloudPlace): boolean {
  return (
    placeOverlap({ kind: 's3', name: '\0a', ...a }, [{ kind: 's3', name: '\0b', ...b }]) !== null
  );
}

/** A layout of the app's data that cannot work, as data (the edges word it). */
export interface LayoutProblem {
  code: 'FILES_HOLD_DATABASE' | 'FILES_HOLD_HOME' | 'FILES_HOLD_DESTINATION' | 'SETTINGS_IN_FILES';
  /** The path inside (or equal to) the files folder. */
  path: string;
}

/**
 * Pure: what makes an app's layout unworkable (paths absolute and resolved).
 * A files folder holding the database would archive a raw, possibly torn
 * copy of the live file, and a restore would stage inside the folder it
 * swaps; one holding the home or a destination would back up its own
 * backups; a settings file inside it would be restored twice.
 */
export function layoutProblems(layout: {
  database: string;
  files: string | null;
  settings: string | null;
  home: string;
  destinations: readonly string[];
}): LayoutProblem[] {
  const { files } = layout;
  if (!files) return [];
  const within = (p: string) => {
    const r = folderRelation(p, files);
    return r === 'same' || r === 'inside';
  };
  const out: LayoutProblem[] = [];
  if (within(layout.database)) out.push({ code: 'FILES_HOLD_DATABASE', path: layout.database });
  if (within(layout.home)) out.push({ code: 'FILES_HOLD_HOME', path: layout.home });
  for (const d of layout.destinations)
    if (within(d)) out.push({ code: 'FILES_HOLD_DESTINATION', path: d });
  if (layout.settings && within(layout.settings))
    out.push({ code: 'SETTINGS_IN_FILES', path: layout.settings });
  return out;
}
