import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AGE_MAGIC,
  createAgeDecryptor,
  createAgeEncryptor,
  generateAgeKeyPair,
  isAgeRecipient,
  looksAgeEncrypted,
  parseIdentities,
  recipientOf,
  type AgeDecryptOptions,
  type AgeEncryptOptions,
} from '../../src/archive/age.js';
import { CoffreError, type ErrorCode } from '../../src/core/errors.js';

const KiB = 1024;
const CHUNK = 64 * KiB;

/** Splits data into pieces whose sizes cycle through `sizes`, to exercise chunk boundaries. */
function split(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  for (let i = 0; off < data.length; i++) {
    const n = sizes[i % sizes.length];
    out.push(data.subarray(off, off + n));
    off += n;
  }
  return out;
}

async function run(stream: Transform, input: Buffer, sizes: number[] = [CHUNK]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(split(input, sizes)),
    stream,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(out);
}

async function encrypt(data: Buffer, opts: AgeEncryptOptions, sizes?: number[]): Promise<Buffer> {
  return run(await createAgeEncryptor(opts), data, sizes);
}

function decrypt(data: Buffer, opts: AgeDecryptOptions, sizes?: number[]): Promise<Buffer> {
  return run(createAgeDecryptor(opts), data, sizes);
}

async function assertCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof CoffreError, `expected a CoffreError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

/** Offset of the payload nonce: just past the header's MAC line. */
function headerLength(file: Buffer): number {
  const mac = file.indexOf('\n--- ');
  return file.indexOf(0x0a, mac + 1) + 1;
}

function flip(data: Buffer, at: number): Buffer {
  const copy = Buffer.from(data);
  copy[at] = copy[at] ^ 0x01;
  return copy;
}

const alice = generateAgeKeyPair();
const bob = generateAgeKeyPair();

describe('age keys', () => {
  test('generated keys look like age-keygen output and match', () => {
    assert.match(alice.identity, /^AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}$/);
    assert.match(alice.recipient, /^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/);
    assert.equal(recipientOf(alice.identity), alice.recipient);
    assert.notEqual(alice.recipient, bob.recipient);
  });

  test('isAgeRecipient', () => {
    assert.equal(isAgeRecipient(alice.recipient), true);
    assert.equal(isAgeRecipient(alice.recipient.toUpperCase()), false);
    assert.equal(isAgeRecipient(alice.identity), false);
    assert.equal(isAgeRecipient(''), false);
    assert.equal(isAgeRecipient('age1'), false);
    const last = alice.recipient.at(-1) === 'q' ? 'p' : 'q';
    assert.equal(isAgeRecipient(alice.recipient.slice(0, -1) + last), false); // bad checksum
    const mixed = 'A' + alice.recipient.slice(1);
    assert.equal(isAgeRecipient(mixed), false);
  });

  test('recipientOf rejects what is not an identity', () => {
    assert.throws(() => recipientOf(alice.recipient), { name: 'CoffreError', code: 'USAGE' });
    assert.throws(() => recipientOf(alice.identity.toLowerCase()), { code: 'USAGE' });
    assert.throws(() => recipientOf('AGE-SECRET-KEY-1XYZ'), { code: 'USAGE' });
  });

  test('parseIdentities reads an identity file', () => {
    const text =
      '# created: 2024-01-01T00:00:00Z\r\n' +
      `# public key: ${alice.recipient}\r\n` +
      `${alice.identity}\r\n\n` +
      `  ${bob.identity}  \n`;
    assert.deepEqual(parseIdentities(text), [alice.identity, bob.identity]);
    assert.throws(() => parseIdentities('# nothing here\n\n'), { code: 'USAGE' });
    assert.throws(() => parseIdentities(`${alice.identity}\nnot a key\n`), {
      code: 'USAGE',
      message: /Line 2/,
    });
  });

  test('looksAgeEncrypted', () => {
    assert.equal(looksAgeEncrypted(Buffer.from(AGE_MAGIC + '-> X25519 abc\n')), true);
    assert.equal(looksAgeEncrypted(Buffer.from('age-encryption.org/v2\n')), true);
    assert.equal(looksAgeEncrypted(Buffer.from('age-encr')), false);
    assert.equal(looksAgeEncrypted(Buffer.from('SQLite format 3\0')), false);
  });
});

describe('age round trips', () => {
  const cases: [string, number][] = [
    ['empty input', 0],
    ['1 byte', 1],
    ['64 KiB - 1', CHUNK - 1],
    ['exactly 64 KiB', CHUNK],
    ['64 KiB + 1', CHUNK + 1],
    ['exactly 128 KiB', 2 * CHUNK],
    ['5 MB', 5_000_000],
  ];
  for (const [name, size] of cases) {
    test(name, async () => {
      const data = randomBytes(size);
      const encrypted = await encrypt(data, { recipients: [alice.recipient] }, [
        1000,
        CHUNK,
        3,
        200_000,
      ]);
      // Payload: nonce, then ceil(size / 64 KiB) chunks (at least one), 16-byte tag each.
      const chunks = Math.max(1, Math.ceil(size / CHUNK));
      assert.equal(encrypted.length - headerLength(encrypted), 16 + size + 16 * chunks);
      assert.deepEqual(await decrypt(encrypted, { identities: [alice.identity] }), data);
      // The same with the ciphertext arriving in awkward pieces.
      const sizes = size < 100_000 ? [1, 7, 300] : [65_552, 1, 100_000, 13];
      assert.deepEqual(await decrypt(encrypted, { identities: [alice.identity] }, sizes), data);
    });
  }

  test('several recipients: each identity opens the file', async () => {
    const carol = generateAgeKeyPair();
    const data = randomBytes(100_000);
    const encrypted = await encrypt(data, {
      recipients: [alice.recipient, bob.recipient, carol.recipient],
    });
    assert.equal(encrypted.toString('latin1').split('-> X25519 ').length - 1, 3);
    for (const kp of [alice, bob, carol]) {
      assert.deepEqual(await decrypt(encrypted, { identities: [kp.identity] }), data);
    }
    const other = generateAgeKeyPair();
    const both = { identities: [other.identity, carol.identity] };
    assert.deepEqual(await decrypt(encrypted, both), data);
  });

  test('passphrase (scrypt work factor 10)', async () => {
    const data = randomBytes(70_000);
    const encrypted = await encrypt(data, { passphrase: 'correct horse', scryptWorkFactor: 10 });
    assert.match(
      encrypted.toString('latin1', 0, 200),
      /^age-encryption\.org\/v1\n-> scrypt \S{22} 10\n/,
    );
    assert.deepEqual(await decrypt(encrypted, { passphrase: 'correct horse' }), data);
  });
});

describe('age errors', () => {
  let x25519File: Buffer;
  let passphraseFile: Buffer;
  const data = randomBytes(3 * CHUNK + 500);

  before(async () => {
    x25519File = await encrypt(data, { recipients: [alice.recipient] });
    passphraseFile = await encrypt(data, { passphrase: 'open sesame', scryptWorkFactor: 10 });
  });

  test('wrong identity: WRONG_KEY', async () => {
    await assertCode(decrypt(x25519File, { identities: [bob.identity] }), 'WRONG_KEY');
  });

  test('no identity for a file encrypted to a key: KEY_REQUIRED', async () => {
    await assertCode(decrypt(x25519File, {}), 'KEY_REQUIRED');
    await assertCode(decrypt(x25519File, { passphrase: 'open sesame' }), 'KEY_REQUIRED');
  });

  test('passphrase file given no passphrase: KEY_REQUIRED', async () => {
    await assertCode(decrypt(passphraseFile, {}), 'KEY_REQUIRED');
    await assertCode(decrypt(passphraseFile, { identities: [alice.identity] }), 'KEY_REQUIRED');
  });

  test('wrong passphrase: WRONG_KEY', async () => {
    await assertCode(decrypt(passphraseFile, { passphrase: 'open sesam' }), 'WRONG_KEY');
  });

  test('scrypt work factor above the limit: UNSUPPORTED_FORMAT', async () => {
    const opts = { passphrase: 'open sesame', maxScryptWorkFactor: 9 };
    await assertCode(decrypt(passphraseFile, opts), 'UNSUPPORTED_FORMAT');
  });

  test('a passphrase stanza next to another stanza: CORRUPT_ARCHIVE', async () => {
    const text = passphraseFile.toString('latin1');
    const x25519Stanza = x25519File.toString('latin1').split('\n').slice(1, 3).join('\n') + '\n';
    const mixed = Buffer.from(text.replace('\n', '\n' + x25519Stanza), 'latin1');
    await assertCode(decrypt(mixed, { passphrase: 'open sesame' }), 'CORRUPT_ARCHIVE');
  });

  test('header MAC mismatch: CORRUPT_ARCHIVE', async () => {
    const opts = { identities: [alice.identity] };
    const notAuthentic = (err: unknown) => {
      assert.ok(err instanceof CoffreError);
      assert.equal(err.code, 'CORRUPT_ARCHIVE');
      assert.match(err.message, /does not authenticate/);
      return true;
    };
    // A MAC character changed to another valid base64 character.
    const at = headerLength(x25519File) - 10;
    const changed = Buffer.from(x25519File);
    changed[at] = changed[at] === 0x41 ? 0x42 : 0x41; // 'A' or 'B'
    await assert.rejects(decrypt(changed, opts), notAuthentic);
    // A well-formed stanza slipped into the header: it parses and unwraps, but the MAC differs.
    const text = x25519File.toString('latin1');
    const extended = Buffer.from(text.replace('\n--- ', '\n-> grease x\n\n--- '), 'latin1');
    await assert.rejects(decrypt(extended, opts), notAuthentic);
  });

  test('flipped byte in the header structure: CORRUPT_ARCHIVE', async () => {
    const arrow = x25519File.indexOf('->');
    const opts = { identities: [alice.identity] };
    await assertCode(decrypt(flip(x25519File, arrow + 2), opts), 'CORRUPT_ARCHIVE'); // "->!X25519"
    await assertCode(decrypt(flip(x25519File, 3), opts), 'CORRUPT_ARCHIVE'); // "agd-encryption…"
  });

  test('flipped byte in a key stanza: cannot be told from a wrong key, WRONG_KEY', async () => {
    // The stanza body is what the identity opens: damage there looks exactly like another key.
    // The damage keeps the body well-formed base64 (a flipped bit could make
    // it '@' or '[', which is a malformed header, not a wrong key).
    const body = x25519File.indexOf('\n', x25519File.indexOf('->')) + 5;
    const damaged = Buffer.from(x25519File);
    damaged[body] = damaged[body] === 0x41 ? 0x42 : 0x41; // 'A' or 'B'
    await assertCode(decrypt(damaged, { identities: [alice.identity] }), 'WRONG_KEY');
  });

  test('another age version: UNSUPPORTED_FORMAT', async () => {
    const v2 = Buffer.from(x25519File);
    v2.write('2', AGE_MAGIC.length - 2, 'latin1');
    await assertCode(decrypt(v2, { identities: [alice.identity] }), 'UNSUPPORTED_FORMAT');
  });

  test('not an age file, or empty: CORRUPT_ARCHIVE', async () => {
    const opts = { identities: [alice.identity] };
    await assertCode(
      decrypt(Buffer.from('SQLite format 3\0' + 'x'.repeat(100)), opts),
      'CORRUPT_ARCHIVE',
    );
    await assertCode(decrypt(Buffer.alloc(0), opts), 'CORRUPT_ARCHIVE');
    await assertCode(decrypt(randomBytes(2 * 1024 * 1024), opts), 'CORRUPT_ARCHIVE');
  });

  test('flipped byte in the payload: CORRUPT_ARCHIVE', async () => {
    const start = headerLength(x25519File);
    const opts = { identities: [alice.identity] };
    for (const at of [start + 3, start + 16 + CHUNK + 100, x25519File.length - 1]) {
      await assertCode(decrypt(flip(x25519File, at), opts), 'CORRUPT_ARCHIVE');
    }
  });

  test('truncated: CORRUPT_ARCHIVE', async () => {
    const start = headerLength(x25519File);
    const opts = { identities: [alice.identity] };
    const cuts = [
      x25519File.length - 1, // inside the last chunk
      x25519File.length - (500 + 16), // the whole last chunk: the previous one is not "last"
      start + 16 + 10, // inside the first chunk
      start + 16, // no chunk at all
      start + 5, // inside the nonce
      start - 5, // inside the header
      10, // inside the version line
    ];
    for (const cut of cuts) {
      await assertCode(decrypt(x25519File.subarray(0, cut), opts), 'CORRUPT_ARCHIVE');
    }
  });

  test('bytes appended after the last chunk: CORRUPT_ARCHIVE', async () => {
    const opts = { identities: [alice.identity] };
    for (const extra of [Buffer.from([0]), randomBytes(16), randomBytes(CHUNK + 16)]) {
      await assertCode(decrypt(Buffer.concat([x25519File, extra]), opts), 'CORRUPT_ARCHIVE');
    }
  });

  test('bad options: USAGE', async () => {
    await assertCode(createAgeEncryptor({ recipients: ['age1notarecipient'] }), 'USAGE');
    await assertCode(createAgeEncryptor({ recipients: [alice.identity] }), 'USAGE');
    await assertCode(createAgeEncryptor({ recipients: [alice.recipient.toUpperCase()] }), 'USAGE');
    await assertCode(
      createAgeEncryptor({ recipients: [alice.recipient], passphrase: 'x' }),
      'USAGE',
    );
    await assertCode(createAgeEncryptor({}), 'USAGE');
    await assertCode(createAgeEncryptor({ recipients: [] }), 'USAGE');
    await assertCode(createAgeEncryptor({ passphrase: '' }), 'USAGE');
    await assertCode(createAgeEncryptor({ passphrase: 'x', scryptWorkFactor: 40 }), 'USAGE');
    assert.throws(() => createAgeDecryptor({ identities: ['AGE-SECRET-KEY-1'] }), {
      code: 'USAGE',
    });
  });
});

function hasProgram(name: string, args: string[]): boolean {
  try {
    execFileSync(name, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a command under a pseudo-terminal with `script`, answering each
 * passphrase prompt in turn: age reads passphrases from the terminal only.
 */
function runInTty(
  command: string,
  answers: string[],
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: 'pipe' });
    let output = '';
    let answered = 0;
    const timer = setTimeout(() => child.kill(), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const prompts = output.match(/passphrase[^:\n]*:/gi)?.length ?? 0;
      while (answered < prompts && answered < answers.length) {
        child.stdin.write(answers[answered++] + '\n');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.end();
      resolve({ code, output });
    });
  });
}

const haveAge = hasProgram('age', ['--version']) && hasProgram('age-keygen', ['--version']);
const haveScript = hasProgram('script', ['--version']);

describe(
  'age interop with the age command-line tool',
  { skip: !haveAge && 'age is not installed' },
  () => {
    let dir: string;
    let keyFile: string;
    let keygenIdentity: string;
    let keygenRecipient: string;
    const data = randomBytes(300_000);

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'coffre-age-'));
      keyFile = join(dir, 'key.txt');
      execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
      keygenIdentity = parseIdentities(await readFile(keyFile, 'utf8'))[0]!;
      keygenRecipient = execFileSync('age-keygen', ['-y', keyFile], { encoding: 'utf8' }).trim();
    });

    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    test('an age-keygen identity file parses and gives the same recipient', () => {
      assert.equal(recipientOf(keygenIdentity), keygenRecipient);
      assert.equal(isAgeRecipient(keygenRecipient), true);
    });

    test('Coffre-encrypted data decrypts with age -d -i', async () => {
      for (const input of [data, Buffer.alloc(0), randomBytes(CHUNK)]) {
        const encrypted = await encrypt(input, { recipients: [bob.recipient, keygenRecipient] });
        const file = join(dir, 'ours.age');
        await writeFile(file, encrypted);
        assert.deepEqual(execFileSync('age', ['-d', '-i', keyFile, file]), input);
      }
    });

    test('age -r encrypted data decrypts in Coffre', async () => {
      for (const input of [data, Buffer.alloc(0), randomBytes(CHUNK), randomBytes(2 * CHUNK + 1)]) {
        const encrypted = execFileSync('age', ['-r', keygenRecipient, '-r', bob.recipient], {
          input,
        });
        assert.deepEqual(await decrypt(encrypted, { identities: [keygenIdentity] }), input);
        assert.deepEqual(await decrypt(encrypted, { identities: [bob.identity] }), input);
      }
    });

    test('age -R recipients file decrypts in Coffre', async () => {
      const recipientsFile = join(dir, 'recipients.txt');
      await writeFile(recipientsFile, `# backup keys\n${alice.recipient}\n${keygenRecipient}\n`);
      const encrypted = execFileSync('age', ['-R', recipientsFile], { input: data });
      assert.deepEqual(await decrypt(encrypted, { identities: [alice.identity] }), data);
    });

    test('a Coffre-generated key works with age -d -i and age -r', async () => {
      const kp = generateAgeKeyPair();
      const ourKeyFile = join(dir, 'ours-key.txt');
      await writeFile(ourKeyFile, `# public key: ${kp.recipient}\n${kp.identity}\n`);
      assert.equal(
        execFileSync('age-keygen', ['-y', ourKeyFile], { encoding: 'utf8' }).trim(),
        kp.recipient,
      );
      const byAge = execFileSync('age', ['-r', kp.recipient], { input: data });
      assert.deepEqual(execFileSync('age', ['-d', '-i', ourKeyFile], { input: byAge }), data);
      assert.deepEqual(await decrypt(byAge, { identities: [kp.identity] }), data);
    });

    test(
      'passphrase: Coffre-encrypted opens with age -d, age -p opens in Coffre (through a pseudo-terminal)',
      { skip: !haveScript && 'script (util-linux) is not installed' },
      async () => {
        const passphrase = 'tapis volant 42';
        const ours = join(dir, 'pass-ours.age');
        const out = join(dir, 'pass-ours.out');
        await writeFile(ours, await encrypt(data, { passphrase, scryptWorkFactor: 10 }));
        const dec = await runInTty(`age -d -o '${out}' '${ours}'`, [passphrase]);
        assert.equal(dec.code, 0, dec.output);
        assert.deepEqual(await readFile(out), data);

        const plain = join(dir, 'pass-plain.bin');
        const theirs = join(dir, 'pass-theirs.age');
        await writeFile(plain, data);
        const enc = await runInTty(`age -p -o '${theirs}' '${plain}'`, [passphrase, passphrase]);
        assert.equal(enc.code, 0, enc.output);
        const encrypted = await readFile(theirs);
        assert.deepEqual(await decrypt(encrypted, { passphrase }), data);
      },
    );
  },
);
