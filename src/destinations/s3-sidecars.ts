// The cloud's sidecars as this process has read them. A sidecar never changes
// once written (the same ETag, the same content), so each is fetched and
// checked once: `status` lists a destination several times, a fleet's bucket
// holds many sidecars, and listings made side by side share each read.

import type { CoffreError } from '../core/errors.js';
import type { Sidecar } from '../core/manifest.js';

/** A sidecar read: the sidecar (and its ETag), damaged, or null when gone or cut while read. */
export type SidecarRead = { sidecar: Sidecar; etag?: string } | { damaged: CoffreError } | null;

/** Sidecars already read, by place (endpoint, bucket, key) and ETag. */
const cache = new Map<string, { etag: string; sidecar: Sidecar }>();
const CACHE_SIZE = 10_000;
/** Reads under way, by place and ETag. */
const reading = new Map<string, Promise<SidecarRead>>();

/**
 * The sidecar at `place` whose listing gave `etag`: from the cache, from a read
 * already under way, or from `read`. Without an ETag it is always read.
 */
export function sidecarAt(
  place: string,
  etag: string | undefined,
  read: () => Promise<SidecarRead>,
): Promise<SidecarRead> {
  if (!etag) return read();
  const hit = cache.get(place);
  if (hit && hit.etag === etag) return Promise.resolve({ sidecar: hit.sidecar });
  const key = `${place} ${etag}`;
  const pending = reading.get(key);
  if (pending) return pending;
  const started = read().then((got) => {
    if (got && 'sidecar' in got && got.etag) {
      if (cache.size >= CACHE_SIZE) cache.clear();
      cache.set(place, { etag: got.etag, sidecar: got.sidecar });
    }
    return got;
  });
  reading.set(key, started);
  void started.catch(() => undefined).finally(() => reading.delete(key));
  return started;
}
