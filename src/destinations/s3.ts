// A destination in an S3-compatible bucket: AWS S3, Backblaze B2, Cloudflare
// R2, Wasabi, MinIO, Ceph, Garage. Each register writes under its own folder:
//
//   PREFIX/REGISTER8/ARCHIVE                  the archive, a multipart upload
//   PREFIX/REGISTER8/ARCHIVE.coffre.json      its sidecar, written last
//
// REGISTER8 is the first 8 hex digits of the register id, the same ones that
// end every archive name, so any archive can be found from its name alone (a
// fresh machine restoring a lost register's backup does not know its id yet).
// The sidecar object is the commit marker: an archive without one is never
// listed, and the next job of that register removes it.
//
// The SDK is loaded on first use, so commands that never touch the cloud do not
// pay for loading it. Its errors never reach the user as they are: they can
// carry request headers, and those name the access key.

import crypto from 'node:crypto';
import { PassThrough, Transform, type Readable } from 'node:stream';
import type * as S3 from '@aws-sdk/client-s3';
import { asCoffreError, CoffreError } from '../core/errors.js';
import { resumableDownload } from './s3-download.js';
import { explainS3Error } from './s3-errors.js';
import { sidecarAt, type SidecarRead } from './s3-sidecars.js';
import { formatBytes } from '../core/quota.js';
import { eachLimited } from '../core/limited.js';
import { parseArchiveName, SIDECAR_SUFFIX, type Sidecar } from '../core/manifest.js';
import { parseSidecarText, type SidecarParser } from '../core/sidecar.js';
import type { DamagedSidecar, Destination, PutOptions, Upload, Usage } from './types.js';

export interface S3Settings {
  endpoint: string;
  bucket: string;
  /** '' or folders ending with '/'. */
  prefix: string;
  region: string;
  pathStyle: boolean;
  quotaBytes: number | null;
  /** Send SHA-256 checksums with every part and with the sidecar. */
  checksums: boolean;
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Part size of multipart uploads: memory is about PART_SIZE × (QUEUE_SIZE + 1). */
export const PART_SIZE = 8 << 20;
const QUEUE_SIZE = 4;
/** How long an aborted upload may take to stop by itself before it is told to. */
const ABORT_GRACE_MS = 30_000;
/** Sidecars are small: this many are fetched at once when listing. */
const LIST_CONCURRENCY = 16;

/** Archive keys this process is writing right now: never swept from under it. */
const writing = new Set<string>();

type Sdk = typeof S3;
let sdkLoad: Promise<Sdk> | null = null;
function loadSdk(): Promise<Sdk> {
  sdkLoad ??= import('@aws-sdk/client-s3');
  return sdkLoad;
}

export class S3Destination implements Destination {
  readonly kind = 's3' as const;
  readonly location: string;
  private clientPromise: Promise<S3.S3Client> | null = null;
  /** ETags seen by the last listings, by key. */
  private readonly etags = new Map<string, string>();

  constructor(
    readonly name: string,
    private readonly settings: S3Settings,
    /** Called on first use; throws DESTINATION_AUTH when there are none. */
    private readonly credentials: () => S3Credentials,
    private readonly parseSidecar: SidecarParser = parseSidecarText,
  ) {
    this.location = `s3://${settings.bucket}/${settings.prefix} at ${settings.endpoint}`;
  }

  private client(): Promise<S3.S3Client> {
    this.clientPromise ??= loadSdk().then(
      (sdk) =>
        new sdk.S3Client({
          endpoint: this.settings.endpoint,
          region: this.settings.region,
          forcePathStyle: this.settings.pathStyle,
          credentials: this.credentials(),
          // Retries with exponential backoff and jitter, for every request.
          maxAttempts: 5,
          retryMode: 'standard',
          // Many S3-compatible services reject the CRC32 trailers the SDK
          // sends by default; Coffre sends SHA-256 checksums itself.
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
          // An idle connection is given up after a minute (then retried);
          // no limit on a whole request: an 8 MiB part on a shop's slow
          // line can take minutes.
          requestHandler: { connectionTimeout: 10_000, socketTimeout: 60_000 },
        }),
    );
    // A failure (no credentials) is thrown again on the next use, not cached.
    this.clientPromise.catch(() => (this.clientPromise = null));
    return this.clientPromise;
  }

  private async send<T>(build: (sdk: Sdk) => { input: unknown }, doing: string): Promise<T> {
    const [sdk, client] = await Promise.all([loadSdk(), this.client()]);
    try {
      return (await client.send(build(sdk) as never)) as T;
    } catch (err) {
      throw this.fail(err, doing);
    }
  }

  /** An SDK or network error as a CoffreError a user can act on; never echoes the credentials. */
  fail(err: unknown, doing: string): CoffreError {
    if (err instanceof CoffreError) return err;
    const { code, reason, name, status } = this.explain(err, doing);
    return new CoffreError(
      code,
      `Cloud destination "${this.name}" (${this.location}): ${doing} failed: ${reason}.`,
      {
        details: {
          destination: this.name,
          location: this.location,
          cloud: true,
          reason,
          ...(name ? { service: name } : {}),
          ...(status ? { httpStatus: status } : {}),
        },
      },
    );
  }

  private explain(err: unknown, doing: string) {
    return explainS3Error(err, doing, this.settings, (text) => this.redact(text));
  }

  private redact(text: string): string {
    let out = text;
    try {
      const { accessKeyId, secretAccessKey, sessionToken } = this.credentials();
      for (const secret of [accessKeyId, secretAccessKey, sessionToken]) {
        if (secret) out = out.split(secret).join('***');
      }
    } catch {
      // No credentials: nothing to hide.
    }
    return out;
  }

  private registerFolder(registerId8: string): string {
    return `${this.settings.prefix}${registerId8}/`;
  }

  private archiveKey(archive: string): string {
    // Only names Coffre makes are ever turned into keys.
    const parsed = parseArchiveName(archive);
    if (parsed === null) {
      throw new CoffreError('USAGE', `"${archive}" is not a Coffre archive name.`);
    }
    return this.registerFolder(parsed.id.slice(-8)) + archive;
  }

  async check(): Promise<void> {
    await this.send(
      (sdk) => new sdk.HeadBucketCommand({ Bucket: this.settings.bucket }),
      'opening the bucket',
    );
  }

  async probe(): Promise<void> {
    const key = `${this.settings.prefix}.coffre-probe-${crypto.randomBytes(6).toString('hex')}`;
    const text = `Coffre checks that it may write here; this object is deleted at once.\n`;
    const step = async (right: string, run: (sdk: Sdk) => { input: unknown }) => {
      try {
        return await this.send<S3.GetObjectCommandOutput>(run, `${right} a test object`);
      } catch (err) {
        const e = err as CoffreError;
        if (e.code !== 'DESTINATION_AUTH') throw e;
        throw new CoffreError(
          'DESTINATION_AUTH',
          `Cloud destination "${this.name}" (${this.location}): the key may not ${right} in this bucket${right === 'delete' ? ' (retention and the clean-up of interrupted uploads need it)' : ''}.`,
          { details: { ...e.details, right } },
        );
      }
    };
    await step(
      'write',
      (s) => new s.PutObjectCommand({ Bucket: this.settings.bucket, Key: key, Body: text }),
    );
    const read = await step(
      'read',
      (s) => new s.GetObjectCommand({ Bucket: this.settings.bucket, Key: key }),
    );
    const back = await read.Body?.transformToString();
    await step(
      'delete',
      (s) => new s.DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }),
    );
    if (back !== text) {
      throw new CoffreError(
        'DESTINATION_UNAVAILABLE',
        `Cloud destination "${this.name}" (${this.location}) did not give back what was written to it.`,
        { details: { destination: this.name, cloud: true } },
      );
    }
  }

  async put(archive: string, options: PutOptions = {}): Promise<Upload> {
    const key = this.archiveKey(archive);
    const [sdk, client, { Upload: MultipartUpload }] = await Promise.all([
      loadSdk(),
      this.client(),
      import('@aws-sdk/lib-storage'),
    ]);
    const limit = options.limitBytes ?? null;
    let written = 0;
    const quotaError = () =>
      new CoffreError(
        'QUOTA_EXCEEDED',
        `Cloud destination "${this.name}": this backup is larger than the ${formatBytes(limit ?? 0)} left in its quota; the upload was stopped and removed.`,
        { details: { destination: this.name, quotaBytes: this.settings.quotaBytes } },
      );
    // What the archive writer writes to, and what the upload reads: it counts
    // the bytes so the quota is never exceeded, whatever the estimate was.
    const stream = new Transform({
      highWaterMark: 1 << 20,
      transform(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        if (limit !== null && written > limit) callback(quotaError());
        else callback(null, chunk);
      },
    });
    // The upload reads its own stream: when a part fails, lib-storage stops
    // reading and Node destroys the stream it read with a bare AbortError.
    // The writer's stream must end with the real cause instead (below).
    const body = new PassThrough({ highWaterMark: 1 << 20 });
    stream.pipe(body);
    stream.on('error', (err) => body.destroy(err));
    writing.add(key);
    const upload = new MultipartUpload({
      client,
      params: {
        Bucket: this.settings.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/octet-stream',
        ...(this.settings.checksums ? { ChecksumAlgorithm: sdk.ChecksumAlgorithm.SHA256 } : {}),
      },
      // S3 allows 10,000 parts: larger archives get larger parts.
      partSize: Math.max(
        PART_SIZE,
        Math.ceil((options.expectedBytes ?? 0) / 9000 / 2 ** 20) * 2 ** 20,
      ),
      queueSize: QUEUE_SIZE,
      // A failed upload aborts its multipart upload: no parts left to pay for.
      leavePartsOnError: false,
    });
    let uploaded = false;
    const done = upload.done().then(
      () => {
        uploaded = true;
      },
      (err: unknown) => {
        const mapped = this.fail(err, 'uploading the archive');
        // The writer learns of it at its next write instead of waiting forever.
        stream.destroy(mapped);
        throw mapped;
      },
    );
    done.catch(() => undefined);
    let settled = false;

    const abort = async () => {
      if (settled) return;
      settled = true;
      // Writes still queued fail once the stream is destroyed: expected here.
      stream.on('error', () => undefined);
      if (!stream.destroyed) stream.destroy(new Error('Upload aborted.'));
      // lib-storage stops once it sees the stream end; if a request of its
      // hangs, it is told to stop after a while.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        done.catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(() => void upload.abort().finally(resolve), ABORT_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
      await done.catch(() => undefined);
      if (uploaded) {
        // The sidecar too: a commit that failed may have written it.
        for (const k of [key + SIDECAR_SUFFIX, key]) {
          await this.send(
            (s) => new s.DeleteObjectCommand({ Bucket: this.settings.bucket, Key: k }),
            'removing the unfinished archive',
          ).catch(() => undefined);
        }
      }
      // lib-storage has aborted its multipart upload, unless the server was
      // gone at that moment: then the next job's sweep does it.
      await this.abortUploads(key, () => true).catch(() => undefined);
      writing.delete(key);
    };

    const commit = async (sidecar: Sidecar) => {
      if (settled)
        throw new CoffreError('INTERNAL', 'This upload was already committed or aborted.');
      try {
        await done;
        // The service has exactly the bytes written, or the backup is not made.
        const head = await this.send<S3.HeadObjectCommandOutput>(
          (s) => new s.HeadObjectCommand({ Bucket: this.settings.bucket, Key: key }),
          'checking the uploaded archive',
        );
        if (head.ContentLength !== sidecar.size) {
          throw new CoffreError(
            'DESTINATION_UNAVAILABLE',
            `Cloud destination "${this.name}" stored ${head.ContentLength} bytes of the ${sidecar.size} bytes of ${archive}; the upload was removed.`,
            { details: { destination: this.name, archive } },
          );
        }
        const json = JSON.stringify(sidecar, null, 2) + '\n';
        await this.send(
          (s) =>
            new s.PutObjectCommand({
              Bucket: this.settings.bucket,
              Key: key + SIDECAR_SUFFIX,
              Body: json,
              ContentType: 'application/json',
              // Readable in any S3 browser without opening anything.
              Metadata: {
                'coffre-id': sidecar.header.id,
                'coffre-register': sidecar.header.register.id,
                'coffre-created': sidecar.header.createdAt,
                'coffre-archive-sha256': sidecar.sha256,
                'coffre-archive-size': String(sidecar.size),
                'coffre-encrypted': String(sidecar.header.encryption.encrypted),
              },
              ...(this.settings.checksums
                ? { ChecksumSHA256: crypto.createHash('sha256').update(json).digest('base64') }
                : {}),
            }),
          'saving the backup metadata',
        );
        settled = true;
        writing.delete(key);
      } catch (err) {
        uploaded = true;
        settled = false;
        await abort();
        throw this.fail(err, 'saving the archive');
      }
    };
    return { stream, commit, abort };
  }

  async get(archive: string): Promise<Readable> {
    const key = this.archiveKey(archive);
    const request = (from: number, etag?: string) =>
      this.send<S3.GetObjectCommandOutput>(
        (s) =>
          new s.GetObjectCommand({
            Bucket: this.settings.bucket,
            Key: key,
            // A resumed download must continue the same object, not a replaced one.
            ...(from > 0 ? { Range: `bytes=${from}-`, ...(etag ? { IfMatch: etag } : {}) } : {}),
          }),
        'downloading the archive',
      );
    let res: S3.GetObjectCommandOutput;
    try {
      res = await request(0);
    } catch (err) {
      const e = err as CoffreError;
      if (e.details?.service === 'NoSuchKey' || e.details?.httpStatus === 404) {
        throw new CoffreError(
          'BACKUP_NOT_FOUND',
          `Cloud destination "${this.name}" has no archive ${archive}.`,
          { details: { destination: this.name, archive } },
        );
      }
      throw err;
    }
    return resumableDownload(res, {
      request,
      fail: (err) => this.fail(err, 'resuming'),
      interrupted: (reason, received, total) =>
        new CoffreError(
          'DESTINATION_UNAVAILABLE',
          `Cloud destination "${this.name}" (${this.location}): the download of ${archive} stopped after ${formatBytes(received)}${total !== null ? ` of ${formatBytes(total)}` : ''}: ${reason}. Nothing was changed; run the command again.`,
          { details: { destination: this.name, archive, received, total, cloud: true } },
        ),
    });
  }

  /** Every object under a prefix, with its size. */
  private async objects(prefix: string): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    const tags = this.etags;
    let token: string | undefined;
    do {
      const page = await this.send<S3.ListObjectsV2CommandOutput>(
        (s) =>
          new s.ListObjectsV2Command({
            Bucket: this.settings.bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        'listing',
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        found.set(o.Key, o.Size ?? 0);
        if (o.ETag) tags.set(o.Key, o.ETag);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found;
  }

  /** The committed archives among some objects: archive key → sidecar key. */
  private committed(objects: Map<string, number>): Map<string, string> {
    const out = new Map<string, string>();
    for (const key of objects.keys()) {
      if (!key.endsWith(SIDECAR_SUFFIX)) continue;
      const archiveKey = key.slice(0, -SIDECAR_SUFFIX.length);
      const archive = archiveKey.slice(archiveKey.lastIndexOf('/') + 1);
      if (!objects.has(archiveKey) || parseArchiveName(archive) === null) continue;
      if (this.archiveKey(archive) !== archiveKey) continue;
      out.set(archiveKey, key);
    }
    return out;
  }

  async list(
    registerId?: string,
    onDamaged?: (damaged: DamagedSidecar) => void,
  ): Promise<Sidecar[]> {
    const prefix = registerId ? this.registerFolder(registerId.slice(0, 8)) : this.settings.prefix;
    const objects = await this.objects(prefix);
    const pairs = [...this.committed(objects)];
    const out: Sidecar[] = [];
    await eachLimited(pairs, LIST_CONCURRENCY, async ([archiveKey, sidecarKey]) => {
      const archive = archiveKey.slice(archiveKey.lastIndexOf('/') + 1);
      const keep = (sidecar: Sidecar) => {
        if (!registerId || sidecar.header.register.id === registerId) out.push(sidecar);
      };
      // Read once per process (s3-sidecars.ts): a sidecar never changes once written.
      const got = await sidecarAt(
        `${this.settings.endpoint} ${this.settings.bucket} ${sidecarKey}`,
        this.etags.get(sidecarKey),
        () => this.readSidecar(sidecarKey, archive),
      );
      if (got === null) return;
      if ('damaged' in got) {
        onDamaged?.({ archive, error: got.damaged });
        return;
      }
      keep(got.sidecar);
    });
    return out.sort((a, b) => a.header.createdAt.localeCompare(b.header.createdAt));
  }

  /** One sidecar object, read and parsed; null when it is gone or was cut while read. */
  private async readSidecar(sidecarKey: string, archive: string): Promise<SidecarRead> {
    let res: S3.GetObjectCommandOutput;
    try {
      res = await this.send<S3.GetObjectCommandOutput>(
        (s) => new s.GetObjectCommand({ Bucket: this.settings.bucket, Key: sidecarKey }),
        'reading the backup list',
      );
    } catch (err) {
      // Deleted since the listing (another register's retention): not a failure.
      if ((err as CoffreError).details?.service === 'NoSuchKey') return null;
      throw err;
    }
    let text: string;
    try {
      text = await res.Body!.transformToString();
    } catch {
      return null; // Cut while reading: the next listing reads it again.
    }
    let sidecar: Sidecar;
    try {
      sidecar = this.parseSidecar(text, archive);
    } catch (err) {
      // A damaged sidecar: not listed; the archive stays, for any S3 client to fetch.
      return { damaged: asCoffreError(err) };
    }
    return { sidecar, ...(res.ETag ? { etag: res.ETag } : {}) };
  }

  async delete(archive: string): Promise<void> {
    const key = this.archiveKey(archive);
    // Sidecar first: once it is gone, the backup is no longer listed.
    for (const k of [key + SIDECAR_SUFFIX, key]) {
      await this.send(
        (s) => new s.DeleteObjectCommand({ Bucket: this.settings.bucket, Key: k }),
        'deleting',
      );
    }
  }

  async usage(): Promise<Usage> {
    // Everything under the prefix counts: it is what the plan is billed for.
    const objects = await this.objects(this.settings.prefix);
    let usedBytes = 0;
    for (const size of objects.values()) usedBytes += size;
    const quotaBytes = this.settings.quotaBytes;
    return {
      usedBytes,
      backups: this.committed(objects).size,
      freeBytes: quotaBytes === null ? null : Math.max(0, quotaBytes - usedBytes),
      quotaBytes,
    };
  }

  /** Aborts the multipart uploads under a prefix that `stale` selects; a service without the listing is skipped. */
  private async abortUploads(prefix: string, stale: (key: string) => boolean): Promise<number> {
    const uploads: S3.MultipartUpload[] = [];
    let marker: { KeyMarker?: string; UploadIdMarker?: string } = {};
    try {
      for (;;) {
        const res = await this.send<S3.ListMultipartUploadsCommandOutput>(
          (s) =>
            new s.ListMultipartUploadsCommand({
              Bucket: this.settings.bucket,
              Prefix: prefix,
              ...marker,
            }),
          'listing unfinished uploads',
        );
        uploads.push(...(res.Uploads ?? []));
        if (!res.IsTruncated || (!res.NextKeyMarker && !res.NextUploadIdMarker)) break;
        marker = { KeyMarker: res.NextKeyMarker, UploadIdMarker: res.NextUploadIdMarker };
      }
    } catch (err) {
      if ((err as CoffreError).details?.service === 'NotImplemented') return 0;
      throw err;
    }
    let n = 0;
    for (const u of uploads) {
      if (!u.Key || !u.UploadId || !stale(u.Key)) continue;
      await this.send(
        (s) =>
          new s.AbortMultipartUploadCommand({
            Bucket: this.settings.bucket,
            Key: u.Key,
            UploadId: u.UploadId,
          }),
        'removing an unfinished upload',
      ).catch((err: CoffreError) => {
        if (err.details?.service !== 'NoSuchUpload') throw err;
      });
      n++;
    }
    return n;
  }

  async sweep(registerId: string): Promise<number> {
    const folder = this.registerFolder(registerId.slice(0, 8));
    const objects = await this.objects(folder);
    const committed = this.committed(objects);
    let removed = 0;
    for (const key of objects.keys()) {
      const name = key.slice(folder.length);
      const archiveKey = name.endsWith(SIDECAR_SUFFIX) ? key.slice(0, -SIDECAR_SUFFIX.length) : key;
      if (parseArchiveName(archiveKey.slice(folder.length)) === null || writing.has(archiveKey))
        continue;
      // An archive with no sidecar (its job died before the commit), or a
      // sidecar with no archive (a commit that failed after writing it).
      const stale = archiveKey === key ? !committed.has(key) : !objects.has(archiveKey);
      if (!stale) continue;
      await this.send(
        (s) => new s.DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }),
        'removing an unfinished archive',
      );
      removed++;
    }
    removed += await this.abortUploads(folder, (key) => !writing.has(key));
    return removed;
  }
}
