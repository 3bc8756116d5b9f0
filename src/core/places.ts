// Whether two destinations write to the same place: pure comparisons of
// folder paths (already resolved, symlinks included, by the caller) and of
// cloud locations (endpoint, bucket, prefix) in a normal form.

import path from 'node:path';

/**
 * Two folders overlap when they are the same, or one holds the other. Both
 * are absolute and already resolved (symlinks followed) by the caller.
 */
export function foldersOverlap(a: string, b: string): boolean {
  const trim = (p: string) => (p.length > 1 ? p.replace(/[\\/]+$/, '') : p);
  const x = path.normalize(trim(a));
  const y = path.normalize(trim(b));
  const inside = (child: string, parent: string) =>
    child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
  return inside(x, y) || inside(y, x);
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

/**
 * An S3 endpoint in one spelling: lower-case scheme and host, every loopback
 * name as one, the scheme's default port made explicit, no trailing slash.
 * A string that is not a URL is compared as written, trimmed of slashes.
 */
export function normalizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    return endpoint.trim().replace(/\/+$/, '').toLowerCase();
  }
  const host = url.hostname.toLowerCase();
  const name = LOOPBACK.has(host) ? 'loopback' : host;
  const port = url.port || DEFAULT_PORT[url.protocol] || '';
  const rest = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${name}:${port}${rest}`;
}

export interface CloudPlace {
  endpoint: string;
  bucket: string;
  prefix: string;
}

/** Two cloud places overlap on the same endpoint and bucket when one prefix holds the other. */
export function cloudPlacesOverlap(a: CloudPlace, b: CloudPlace): boolean {
  if (normalizeEndpoint(a.endpoint) !== normalizeEndpoint(b.endpoint)) return false;
  if (a.bucket !== b.bucket) return false;
  const norm = (p: string) => (p === '' || p.endsWith('/') ? p : p + '/').replace(/^\/+/, '');
  const x = norm(a.prefix);
  const y = norm(b.prefix);
  return x.startsWith(y) || y.startsWith(x);
}
