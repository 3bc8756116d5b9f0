import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isCoffreError } from '../../src/core/errors.js';
import { S3Destination, type S3Settings } from '../../src/destinations/s3.js';
import { startS3Server, type S3Server } from '../s3.js';
import { destinationContract, sidecarFor } from './contract.js';

let server: S3Server;
before(async () => {
  server = await startS3Server(['coffre-contract', 'coffre-other']);
});
after(() => server.stop());

let n = 0;
function settings(overrides: Partial<S3Settings> = {}): S3Settings {
  return {
    endpoint: server.endpoint,
    bucket: 'coffre-contract',
    prefix: `run-${n++}/`,
    region: 'us-east-1',
    pathStyle: true,
    quotaBytes: null,
    checksums: true,
    ...overrides,
  };
}
const credentials = () => ({
  accessKeyId: server.accessKeyId,
  secretAccessKey: server.secretAccessKey,
});

destinationContract('s3 bucket', () =>
  Promise.resolve(new S3Destination('cloud', settings(), credentials)),
);
destinationContract('s3 bucket, no prefix, no checksums', () =>
  Promise.resolve(
    new S3Destination(
      'cloud',
      settings({ bucket: 'coffre-other', prefix: '', checksums: false }),
      credentials,
    ),
  ),
);

describe('s3 destination', () => {
  it('names the cause when the bucket is missing, the credentials are refused or the server is gone', async () => {
    const noBucket = new S3Destination(
      'cloud',
      settings({ bucket: 'no-such-bucket' }),
      credentials,
    );
    await assert.rejects(noBucket.check(), (err) => {
      assert.ok(isCoffreError(err, 'DESTINATION_UNAVAILABLE'));
      assert.match(err.message, /bucket "no-such-bucket" does not exist/);
      return true;
    });
    const wrongKey = new S3Destination('cloud', settings(), () => ({
      accessKeyId: 'NOTAKEY',
      secretAccessKey: 'not-the-secret-42',
    }));
    for (const attempt of [wrongKey.check(), wrongKey.list()]) {
      await assert.rejects(attempt, (err) => {
        assert.ok(isCoffreError(err, 'DESTINATION_AUTH'), String(err));
        assert.doesNotMatch(err.message + JSON.stringify(err.details), /NOTAKEY|not-the-secret-42/);
        return true;
      });
    }
    const nobody = new S3Destination(
      'cloud',
      settings({ endpoint: 'http://127.0.0.1:9' }),
      credentials,
    );
    await assert.rejects(nobody.check(), (err) => {
      assert.ok(isCoffreError(err, 'DESTINATION_UNAVAILABLE'));
      assert.match(err.message, /refused the connection/);
      return true;
    });
    const noCredentials = new S3Destination('cloud', settings(), () => {
      throw new Error('no credentials here');
    });
    await assert.rejects(noCredentials.check(), /no credentials here/);
  });

  it('stops an upload that would pass its limit, and leaves no object and no parts', async () => {
    const dest = new S3Destination('cloud', settings(), credentials);
    const archive = 'limit_20261120-100000-000_c0ffee12.tar.zst';
    const upload = await dest.put(archive, { limitBytes: 20 << 20 });
    const failed = new Promise<Error>((resolve) => upload.stream.once('error', resolve));
    const chunk = Buffer.alloc(1 << 20, 7);
    for (let i = 0; i < 25 && !upload.stream.destroyed; i++) {
      if (!upload.stream.write(chunk)) {
        await Promise.race([
          new Promise((resolve) => upload.stream.once('drain', resolve)),
          failed,
        ]);
      }
    }
    const err = await failed;
    assert.ok(isCoffreError(err, 'QUOTA_EXCEEDED'), String(err));
    await upload.abort();
    assert.deepEqual(await dest.list(), []);
    assert.equal((await dest.usage()).usedBytes, 0);
    assert.deepEqual(server.openUploads('coffre-contract'), []);
  });

  it('lists one register without reading the others, and all of them on demand', async () => {
    const dest = new S3Destination('cloud', settings(), credentials);
    const ids = ['aaaaaaaa-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-000000000000'];
    for (const register of ids) {
      const archive = `shop_20261120-100000-000_${register.slice(0, 8)}.tar.zst`;
      const upload = await dest.put(archive);
      upload.stream.end(Buffer.from(register));
      await new Promise((resolve) => upload.stream.once('finish', resolve));
      await upload.commit(
        sidecarFor(
          archive,
          archive.replace('.tar.zst', ''),
          Buffer.from(register),
          '2026-11-20T10:00:00.000Z',
          register,
        ),
      );
    }
    assert.deepEqual(
      (await dest.list(ids[0])).map((s) => s.header.register.id),
      [ids[0]],
    );
    assert.deepEqual((await dest.list()).map((s) => s.header.register.id).sort(), ids);
    assert.equal((await dest.usage()).backups, 2);
  });

  it('resumes a download cut by a server restart where it stopped', async () => {
    const dest = new S3Destination('cloud', settings(), credentials);
    const archive = 'resume_20261120-100000-000_c0ffee12.tar.zst';
    const data = crypto.randomBytes(40 << 20);
    const upload = await dest.put(archive);
    upload.stream.end(data);
    await new Promise((resolve) => upload.stream.once('finish', resolve));
    await upload.commit({
      ...sidecarFor(archive, archive.replace('.tar.zst', ''), data, '2026-11-20T10:00:00.000Z'),
      sha256: crypto.createHash('sha256').update(data).digest('hex'),
    });
    const stream = await dest.get(archive);
    const chunks: Buffer[] = [];
    let got = 0;
    let restarted = false;
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      got += (chunk as Buffer).length;
      // A few MiB in, the server crashes and comes back (reading waits meanwhile,
      // so most of the archive is still to be sent).
      if (!restarted && got > 4 << 20) {
        restarted = true;
        await server.restart();
      }
    }
    const back = Buffer.concat(chunks);
    assert.equal(back.length, data.length);
    assert.ok(back.equals(data));
  });

  it('proves the rights a backup needs, and names the one a key lacks', async () => {
    const dest = new S3Destination('cloud', settings(), credentials);
    await dest.probe();
    assert.equal((await dest.usage()).usedBytes, 0, 'the test object is gone');

    // A bucket policy that denies deletes (as anti-ransomware setups do), in
    // front of the real server: every other request passes through.
    const target = new URL(server.endpoint);
    const policy = http.createServer((req, res) => {
      if (req.method === 'DELETE') {
        req.resume();
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
        );
        return;
      }
      const forward = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => policy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (policy.address() as AddressInfo).port;
      const denied = new S3Destination(
        'cloud',
        settings({ endpoint: `http://127.0.0.1:${port}` }),
        credentials,
      );
      await denied.check();
      await assert.rejects(denied.probe(), (err) => {
        assert.ok(isCoffreError(err, 'DESTINATION_AUTH'), String(err));
        assert.match(err.message, /may not delete/);
        return true;
      });
    } finally {
      policy.closeAllConnections();
      await new Promise((resolve) => policy.close(resolve));
    }
  });
});
