// A cloud download that survives a cut connection: it resumes where it
// stopped with a range request on the same object (same ETag), a few times,
// before it is reported as interrupted, never as a damaged archive.

import { PassThrough, type Readable } from 'node:stream';
import type * as S3 from '@aws-sdk/client-s3';
import type { CoffreError } from '../core/errors.js';
import { NETWORK } from './s3-errors.js';

/** A download cut mid-way is resumed this many times, waiting RESUME_DELAY_MS × attempt. */
const DOWNLOAD_RESUMES = 3;
const RESUME_DELAY_MS = 1000;

export interface ResumeHow {
  /** Asks for the object again from a byte, on the same ETag. */
  request: (from: number, etag?: string) => Promise<S3.GetObjectCommandOutput>;
  /** An SDK error as a Coffre error. */
  fail: (err: unknown) => CoffreError;
  /** The error of a download given up. */
  interrupted: (reason: string, received: number, total: number | null) => CoffreError;
}

export function resumableDownload(first: S3.GetObjectCommandOutput, how: ResumeHow): Readable {
  const total = first.ContentLength ?? null;
  const etag = first.ETag;
  let received = 0;
  let resumes = 0;
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const interrupted = (reason: string) => how.interrupted(reason, received, total);
  let current: Readable | null = null;
  out.on('close', () => current?.destroy());

  // A connection cut mid-way is resumed where it stopped (a range request
  // on the same object), a few times, before the download is given up.
  const resume = async (reason: string) => {
    if (out.destroyed) return;
    if (total === null || resumes >= DOWNLOAD_RESUMES) {
      out.destroy(interrupted(reason));
      return;
    }
    resumes++;
    await new Promise((resolve) => setTimeout(resolve, RESUME_DELAY_MS * resumes));
    if (out.destroyed) return;
    try {
      const next = await how.request(received, etag);
      // A server that ignores the range would send the archive from its start.
      if (!next.ContentRange?.startsWith(`bytes ${received}-`)) {
        (next.Body as Readable | undefined)?.destroy();
        out.destroy(interrupted(`${reason}, and the server cannot resume a download`));
        return;
      }
      pump(next.Body as Readable);
    } catch (err) {
      const e = how.fail(err);
      const why = typeof e.details.reason === 'string' ? e.details.reason : e.message;
      out.destroy(interrupted(`${reason}, and resuming failed: ${why}`));
    }
  };
  const pump = (body: Readable) => {
    current = body;
    let over = false;
    const stop = (reason: string | null) => {
      if (over) return;
      over = true;
      body.removeAllListeners('data');
      if (!body.destroyed) body.destroy();
      // Every byte arrived: an error after the last one changes nothing.
      if (reason === null || (total !== null && received >= total)) out.end();
      else void resume(reason);
    };
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (!out.write(chunk)) {
        body.pause();
        out.once('drain', () => body.resume());
      }
    });
    body.on('end', () =>
      // A connection that closes early must not look like a damaged archive.
      stop(total !== null && received < total ? 'the connection closed early' : null),
    );
    body.on('error', (err: NodeJS.ErrnoException) =>
      stop(
        NETWORK[err.code ?? ''] ??
          (err.name === 'TimeoutError'
            ? 'the server stopped sending'
            : 'the connection to the server was cut'),
      ),
    );
    body.on('aborted', () => stop('the connection to the server was cut'));
  };
  pump(first.Body as Readable);
  return out;
}
