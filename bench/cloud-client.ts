// The Coffre side of the bench's cloud section (bench/run.ts), in a process of
// its own so that its wall time and peak memory are measured the same way as
// rclone's. `put` uploads an archive as a backup does: S3Destination.put, the
// archive's bytes streamed into the upload, then commit with its sidecar (the
// .coffre.json file next to it). `get` downloads one into a file.
//
// Usage: node cloud-client.js put ENDPOINT BUCKET PREFIX ARCHIVE_FILE
//        node cloud-client.js get ENDPOINT BUCKET PREFIX ARCHIVE_NAME OUT_FILE
// The access key pair comes from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.

import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { SIDECAR_SUFFIX, type Sidecar } from '../src/core/manifest.js';
import { S3Destination } from '../src/destinations/s3.js';

const [verb, endpoint, bucket, prefix, archive, out] = process.argv.slice(2);
if (!['put', 'get'].includes(verb) || !archive || (verb === 'get' && !out)) {
  process.stderr.write(
    'usage: cloud-client put ENDPOINT BUCKET PREFIX ARCHIVE_FILE\n' +
      '       cloud-client get ENDPOINT BUCKET PREFIX ARCHIVE_NAME OUT_FILE\n',
  );
  process.exit(2);
}

const destination = new S3Destination(
  'bench',
  {
    endpoint,
    bucket,
    prefix,
    region: 'us-east-1',
    pathStyle: true,
    quotaBytes: null,
    // As a destination is configured by default.
    checksums: true,
  },
  () => ({
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
  }),
);

if (verb === 'put') {
  const sidecar = JSON.parse(fs.readFileSync(archive + SIDECAR_SUFFIX, 'utf8')) as Sidecar;
  const upload = await destination.put(path.basename(archive));
  try {
    await pipeline(fs.createReadStream(archive), upload.stream);
    await upload.commit(sidecar);
  } catch (err) {
    await upload.abort();
    throw err;
  }
} else {
  // With the 1 MiB write buffer Coffre's folder destination gives its archives.
  await pipeline(
    await destination.get(archive),
    fs.createWriteStream(out, { highWaterMark: 1 << 20 }),
  );
}
