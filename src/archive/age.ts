// The age v1 file format (https://age-encryption.org/v1), written from the
// specification on top of node:crypto only. Coffre encrypts archives with it so
// that a backup can always be opened with the standard `age` tool, without
// Coffre. Supported: X25519 recipients/identities (age1… / AGE-SECRET-KEY-1…)
// and scrypt passphrases; other recipient types (ssh-rsa, plugins) and the
// ASCII armor are not.
//
// Layout of a file: a text header (version line, one stanza per recipient that
// wraps the 16-byte file key, and an HMAC over the header), then a 16-byte
// nonce, then the payload in the STREAM construction: 64 KiB plaintext chunks
// sealed with ChaCha20-Poly1305, the last one flagged so truncation is
// detected.

import { createCipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CoffreError } from '../core/errors.js';
import {
  b64,
  decodeB64,
  hkdf,
  open,
  parseIdentity,
  parseRecipient,
  type X25519Identity,
  scryptKey,
  seal,
  TAG_SIZE,
  x25519,
  x25519PrivateKey,
  x25519PublicBytes,
} from './age-keys.js';

export {
  generateAgeKeyPair,
  isAgeRecipient,
  parseIdentities,
  recipientOf,
  type AgeKeyPair,
} from './age-keys.js';

export interface AgeEncryptOptions {
  recipients?: string[];
  passphrase?: string;
  /** log2 of the scrypt N parameter; 18 by default, as age. */
  scryptWorkFactor?: number;
}

export interface AgeDecryptOptions {
  identities?: string[];
  passphrase?: string;
  /** Passphrase files asking for more work than 2^this are refused; 22 by default, as age. */
  maxScryptWorkFactor?: number;
}

export const AGE_MAGIC = 'age-encryption.org/v1\n';

const VERSION_PREFIX = 'age-encryption.org/';
const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const MAGIC_BYTES = Buffer.from(AGE_MAGIC, 'latin1');

const FILE_KEY_SIZE = 16;
const CHUNK_SIZE = 64 * 1024;
const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
const PAYLOAD_NONCE_SIZE = 16;
const ZERO_NONCE = Buffer.alloc(12);
const EMPTY = Buffer.alloc(0);

/** Output is gathered up to this size before one push: fewer, larger buffers downstream. */
const OUTPUT_BATCH = 1024 * 1024;
/** A header larger than this is not something age or Coffre writes: refuse instead of buffering. */
const MAX_HEADER_SIZE = 1024 * 1024;

const DEFAULT_SCRYPT_WORK_FACTOR = 18;
const DEFAULT_MAX_SCRYPT_WORK_FACTOR = 22;
const X25519_INFO = 'age-encryption.org/v1/X25519';

export function looksAgeEncrypted(firstBytes: Buffer): boolean {
  // Only the version-independent prefix: a future version is still "age", and the
  // decryptor then says which version it cannot read.
  return (
    firstBytes.length >= VERSION_PREFIX.length &&
    firstBytes.toString('latin1', 0, VERSION_PREFIX.length) === VERSION_PREFIX
  );
}

// ---------------------------------------------------------------------------
// Header

interface Stanza {
  type: string;
  args: string[];
  body: Buffer;
}

function formatStanza(stanza: Stanza): string {
  let text = `-> ${[stanza.type, ...stanza.args].join(' ')}\n`;
  const body = b64(stanza.body);
  // Lines of 64 columns; the last one is always shorter, so it may be empty.
  for (let i = 0; ; i += 64) {
    const line = body.slice(i, i + 64);
    text += line + '\n';
    if (line.length < 64) break;
  }
  return text;
}

function headerMac(fileKey: Buffer, macInput: Buffer): Buffer {
  return createHmac('sha256', hkdf(fileKey, EMPTY, 'header'))
    .update(macInput)
    .digest();
}

function buildHeader(fileKey: Buffer, stanzas: Stanza[]): Buffer {
  let text = AGE_MAGIC;
  for (const stanza of stanzas) text += formatStanza(stanza);
  const macInput = Buffer.from(text + '---', 'latin1');
  const mac = headerMac(fileKey, macInput);
  return Buffer.concat([macInput, Buffer.from(` ${b64(mac)}\n`, 'latin1')]);
}

function corrupt(message: string): CoffreError {
  return new CoffreError('CORRUPT_ARCHIVE', message);
}

const ARG_CHARS = /^[\x21-\x7e]+$/;

/** Parses a complete header (through the MAC line's newline). */
function parseHeader(header: Buffer): { stanzas: Stanza[]; macInput: Buffer; mac: Buffer } {
  const bad = () => corrupt('The archive is damaged: its age encryption header is malformed.');
  const lines = header.toString('latin1', 0, header.length - 1).split('\n');
  if (lines[0] !== AGE_MAGIC.slice(0, -1)) throw bad();
  const stanzas: Stanza[] = [];
  let i = 1;
  while (i < lines.length && lines[i].startsWith('->')) {
    const line = lines[i++];
    if (!line.startsWith('-> ')) throw bad();
    const args = line.slice(3).split(' ');
    if (!args.every((a) => ARG_CHARS.test(a))) throw bad();
    let body = '';
    for (;;) {
      const bodyLine = lines[i++];
      if (bodyLine === undefined || bodyLine.length > 64) throw bad();
      body += bodyLine;
      if (bodyLine.length < 64) break;
    }
    const decoded = decodeB64(body);
    if (decoded === undefined) throw bad();
    stanzas.push({ type: args[0], args: args.slice(1), body: decoded });
  }
  if (stanzas.length === 0 || i !== lines.length - 1) throw bad();
  const macLine = lines[i];
  if (!macLine.startsWith('--- ')) throw bad();
  const mac = decodeB64(macLine.slice(4));
  if (mac === undefined || mac.length !== 32) throw bad();
  // The MAC covers everything up to and including "---", not the space after it.
  const macInput = header.subarray(0, header.length - 1 - macLine.length + 3);
  return { stanzas, macInput, mac };
}

/** Checks what there is so far of the first line; throws if this is not an age v1 file. */
function checkMagic(head: Buffer, complete: boolean): void {
  const n = Math.min(head.length, MAGIC_BYTES.length);
  if (head.subarray(0, n).equals(MAGIC_BYTES.subarray(0, n))) {
    if (n < MAGIC_BYTES.length && complete) {
      throw corrupt('The archive is truncated: it ends inside its age encryption header.');
    }
    return;
  }
  const nl = head.indexOf(0x0a);
  const firstLine = head.toString('latin1', 0, nl < 0 ? Math.min(head.length, 80) : nl);
  if (firstLine.startsWith(VERSION_PREFIX)) {
    throw new CoffreError(
      'UNSUPPORTED_FORMAT',
      `The archive is encrypted with age format "${firstLine}", which this version of Coffre cannot read.`,
    );
  }
  if (firstLine.startsWith(ARMOR_BEGIN)) {
    throw new CoffreError(
      'UNSUPPORTED_FORMAT',
      'The archive is an ASCII-armored age file, which Coffre does not read; convert it with `age -d`.',
    );
  }
  throw corrupt('The archive is not an age-encrypted file: its first line is not the age header.');
}

async function unwrapFileKey(
  stanzas: Stanza[],
  identities: X25519Identity[],
  passphrase: string | undefined,
  maxWorkFactor: number,
): Promise<Buffer> {
  const scryptStanza = stanzas.find((s) => s.type === 'scrypt');
  if (scryptStanza !== undefined) {
    // A passphrase file has no other stanza: then only someone who knows the passphrase
    // can have written it, which age relies on as authentication.
    if (stanzas.length !== 1) {
      throw corrupt('The archive is damaged: a passphrase stanza appears next to other stanzas.');
    }
    const [saltB64, wfText] = scryptStanza.args;
    const salt = decodeB64(saltB64 ?? '');
    if (
      scryptStanza.args.length !== 2 ||
      salt?.length !== 16 ||
      !/^[1-9][0-9]*$/.test(wfText ?? '') ||
      scryptStanza.body.length !== FILE_KEY_SIZE + TAG_SIZE
    ) {
      throw corrupt('The archive is damaged: its passphrase stanza is malformed.');
    }
    const workFactor = Number(wfText);
    if (passphrase === undefined) {
      throw new CoffreError(
        'KEY_REQUIRED',
        'The archive is encrypted with a passphrase, but no passphrase was given.',
      );
    }
    if (workFactor > maxWorkFactor) {
      throw new CoffreError(
        'UNSUPPORTED_FORMAT',
        `The archive's passphrase is protected with a scrypt work factor of ${workFactor}, above the limit of ${maxWorkFactor}.`,
        { details: { workFactor, maxWorkFactor } },
      );
    }
    const fileKey = open(
      await scryptKey(passphrase, salt, workFactor),
      ZERO_NONCE,
      scryptStanza.body,
    );
    if (fileKey === undefined) {
      throw new CoffreError('WRONG_KEY', 'The passphrase given does not open the archive.');
    }
    return fileKey;
  }

  const x25519Stanzas = stanzas.filter((s) => s.type === 'X25519');
  if (x25519Stanzas.length === 0) {
    const types = [...new Set(stanzas.map((s) => s.type))].join(', ');
    throw new CoffreError(
      'UNSUPPORTED_FORMAT',
      `The archive is encrypted to kinds of age keys that Coffre does not support (${types}).`,
      { details: { stanzaTypes: types } },
    );
  }
  const parsed = x25519Stanzas.map((s) => {
    const share = s.args.length === 1 ? decodeB64(s.args[0]) : undefined;
    if (share?.length !== 32 || s.body.length !== FILE_KEY_SIZE + TAG_SIZE) {
      throw corrupt('The archive is damaged: one of its X25519 stanzas is malformed.');
    }
    return { share, body: s.body };
  });
  if (identities.length === 0) {
    throw new CoffreError(
      'KEY_REQUIRED',
      passphrase === undefined
        ? 'The archive is encrypted to an age key, but no identity (AGE-SECRET-KEY-1…) was given.'
        : 'The archive is encrypted to an age key, not with a passphrase, and no identity (AGE-SECRET-KEY-1…) was given.',
    );
  }
  for (const { share, body } of parsed) {
    for (const identity of identities) {
      const shared = x25519(identity.privateKey, share);
      if (shared === undefined) {
        throw corrupt('The archive is damaged: an X25519 stanza holds an invalid ephemeral key.');
      }
      const wrapKey = hkdf(shared, Buffer.concat([share, identity.publicKey]), X25519_INFO);
      const fileKey = open(wrapKey, ZERO_NONCE, body);
      if (fileKey !== undefined) return fileKey;
    }
  }
  throw new CoffreError(
    'WRONG_KEY',
    identities.length === 1
      ? 'The identity given does not open the archive: it was encrypted to other keys.'
      : `None of the ${identities.length} identities given opens the archive: it was encrypted to other keys.`,
  );
}

// ---------------------------------------------------------------------------
// Payload streams

function asError(err: unknown): Error {
  if (err instanceof CoffreError) return err;
  return new CoffreError('INTERNAL', `age: unexpected failure: ${String(err)}`, { cause: err });
}

/**
 * Shared machinery of both directions: STREAM chunking with a carry buffer and
 * batched output. A full chunk is held back until more input shows it is not
 * the last one, since the last chunk is sealed differently and may be full.
 */
abstract class ChunkedTransform extends Transform {
  protected payloadKey: Buffer = EMPTY;
  protected counter = 0;
  private readonly nonce = Buffer.alloc(12);
  private readonly carry: Buffer;
  private carryLen = 0;
  private out: Buffer[] = [];
  private outLen = 0;

  constructor(private readonly unit: number) {
    super();
    this.carry = Buffer.allocUnsafe(unit);
  }

  /** Seals or opens one chunk; `data` may be overwritten right after. */
  protected abstract processChunk(data: Buffer, last: boolean): void;

  protected chunkNonce(last: boolean): Buffer {
    // 11-byte big-endian counter; 48 bits of it are more than enough (16 EiB).
    if (this.counter >= 2 ** 48) throw new CoffreError('INTERNAL', 'age: too many chunks.');
    this.nonce.writeUIntBE(this.counter, 5, 6);
    this.nonce[11] = last ? 1 : 0;
    return this.nonce;
  }

  protected output(data: Buffer): void {
    this.out.push(data);
    this.outLen += data.length;
  }

  /** Takes payload bytes; processes every chunk known not to be the last. */
  protected consume(data: Buffer): void {
    let off = 0;
    if (this.carryLen > 0) {
      off = Math.min(this.unit - this.carryLen, data.length);
      data.copy(this.carry, this.carryLen, 0, off);
      this.carryLen += off;
      if (this.carryLen < this.unit || off === data.length) return;
      this.processChunk(this.carry, false);
      this.carryLen = 0;
    }
    // Whole chunks straight from the input, without copying; always keep the tail.
    while (data.length - off > this.unit) {
      this.processChunk(data.subarray(off, off + this.unit), false);
      off += this.unit;
      this.pushOutput(false); // so a huge input buffer does not pile up output
    }
    data.copy(this.carry, 0, off);
    this.carryLen = data.length - off;
    this.pushOutput(false);
  }

  /** Processes what is left, as the last chunk. */
  protected finish(): void {
    this.processChunk(this.carry.subarray(0, this.carryLen), true);
    this.carryLen = 0;
    this.pushOutput(true);
  }

  protected pending(): number {
    return this.carryLen;
  }

  private pushOutput(force: boolean): void {
    if (this.outLen === 0 || (!force && this.outLen < OUTPUT_BATCH)) return;
    const batch = this.out.length === 1 ? this.out[0] : Buffer.concat(this.out, this.outLen);
    this.out = [];
    this.outLen = 0;
    this.push(batch);
  }
}

class AgeEncryptStream extends ChunkedTransform {
  constructor(prefix: Buffer, payloadKey: Buffer) {
    super(CHUNK_SIZE);
    this.payloadKey = payloadKey;
    this.push(prefix);
  }

  protected processChunk(data: Buffer, last: boolean): void {
    const cipher = createCipheriv('chacha20-poly1305', this.payloadKey, this.chunkNonce(last), {
      authTagLength: TAG_SIZE,
    });
    this.output(cipher.update(data));
    cipher.final();
    this.output(cipher.getAuthTag());
    this.counter++;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (err) {
      callback(asError(err));
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.finish();
      callback();
    } catch (err) {
      callback(asError(err));
    }
  }
}

export async function createAgeEncryptor(opts: AgeEncryptOptions): Promise<Transform> {
  const recipients = opts.recipients ?? [];
  const { passphrase } = opts;
  if (passphrase !== undefined && recipients.length > 0) {
    throw new CoffreError(
      'USAGE',
      'An age file is encrypted either with a passphrase or to recipient keys, not both.',
    );
  }
  if (passphrase === undefined && recipients.length === 0) {
    throw new CoffreError('USAGE', 'Encryption needs at least one recipient key or a passphrase.');
  }
  const fileKey = randomBytes(FILE_KEY_SIZE);
  const stanzas: Stanza[] = [];
  if (passphrase !== undefined) {
    if (passphrase === '') throw new CoffreError('USAGE', 'The passphrase is empty.');
    const workFactor = opts.scryptWorkFactor ?? DEFAULT_SCRYPT_WORK_FACTOR;
    // Capped at the decryptor's default limit, so that what is written can be read back.
    if (
      !Number.isInteger(workFactor) ||
      workFactor < 1 ||
      workFactor > DEFAULT_MAX_SCRYPT_WORK_FACTOR
    ) {
      throw new CoffreError(
        'USAGE',
        `The scrypt work factor must be a whole number from 1 to ${DEFAULT_MAX_SCRYPT_WORK_FACTOR}.`,
      );
    }
    const salt = randomBytes(16);
    const key = await scryptKey(passphrase, salt, workFactor);
    stanzas.push({
      type: 'scrypt',
      args: [b64(salt), String(workFactor)],
      body: seal(key, ZERO_NONCE, fileKey),
    });
  } else {
    for (const recipient of recipients) {
      const publicKey = parseRecipient(recipient);
      // A fresh ephemeral key per stanza, as the spec requires.
      const ephemeral = x25519PrivateKey(randomBytes(32));
      const share = x25519PublicBytes(ephemeral);
      const shared = x25519(ephemeral, publicKey);
      if (shared === undefined) {
        throw new CoffreError(
          'USAGE',
          `"${recipient}" is not a usable age recipient: it is not a valid X25519 public key.`,
          { details: { recipient } },
        );
      }
      const wrapKey = hkdf(shared, Buffer.concat([share, publicKey]), X25519_INFO);
      stanzas.push({
        type: 'X25519',
        args: [b64(share)],
        body: seal(wrapKey, ZERO_NONCE, fileKey),
      });
    }
  }
  const header = buildHeader(fileKey, stanzas);
  const nonce = randomBytes(PAYLOAD_NONCE_SIZE);
  const payloadKey = hkdf(fileKey, nonce, 'payload');
  return new AgeEncryptStream(Buffer.concat([header, nonce]), payloadKey);
}

class AgeDecryptStream extends ChunkedTransform {
  private state: 'header' | 'nonce' | 'payload' = 'header';
  /** Bytes of the header, then of the nonce, not yet consumed. */
  private head: Buffer = EMPTY;
  private scanFrom = 0;
  private fileKey: Buffer = EMPTY;

  constructor(
    private readonly identities: X25519Identity[],
    private readonly passphrase: string | undefined,
    private readonly maxWorkFactor: number,
  ) {
    super(SEALED_CHUNK_SIZE);
  }

  protected processChunk(data: Buffer, last: boolean): void {
    if (data.length < TAG_SIZE) {
      throw corrupt('The archive is truncated: its encrypted data ends in the middle of a block.');
    }
    if (last && data.length === TAG_SIZE && this.counter > 0) {
      throw corrupt('The archive is damaged: it ends with an empty encrypted block.');
    }
    const plaintext = open(this.payloadKey, this.chunkNonce(last), data);
    if (plaintext === undefined) {
      // Tell apart the common cases for the message; both are CORRUPT_ARCHIVE.
      if (!last && open(this.payloadKey, this.chunkNonce(true), data) !== undefined) {
        throw corrupt(
          'The archive is damaged: there are extra bytes after the end of its encrypted data.',
        );
      }
      throw corrupt(
        last
          ? 'The archive is damaged or truncated: its last encrypted block does not authenticate.'
          : `The archive is damaged: encrypted block ${this.counter} does not authenticate.`,
      );
    }
    this.output(plaintext);
    this.counter++;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.state === 'payload') {
      try {
        this.consume(chunk);
        callback();
      } catch (err) {
        callback(asError(err));
      }
      return;
    }
    this.takeHead(chunk).then(
      () => callback(),
      (err: unknown) => callback(asError(err)),
    );
  }

  /** Header and nonce stages; the header may need scrypt, hence async. */
  private async takeHead(chunk: Buffer): Promise<void> {
    this.head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
    if (this.state === 'header') {
      checkMagic(this.head, false);
      const end = this.findHeaderEnd();
      if (end < 0) return;
      const { stanzas, macInput, mac } = parseHeader(this.head.subarray(0, end));
      this.head = this.head.subarray(end);
      const fileKey = await unwrapFileKey(
        stanzas,
        this.identities,
        this.passphrase,
        this.maxWorkFactor,
      );
      if (!timingSafeEqual(headerMac(fileKey, macInput), mac)) {
        throw corrupt('The archive is damaged: its age header does not authenticate.');
      }
      this.fileKey = fileKey;
      this.state = 'nonce';
    }
    if (this.head.length < PAYLOAD_NONCE_SIZE) return;
    this.payloadKey = hkdf(this.fileKey, this.head.subarray(0, PAYLOAD_NONCE_SIZE), 'payload');
    this.state = 'payload';
    const rest = this.head.subarray(PAYLOAD_NONCE_SIZE);
    this.head = EMPTY;
    this.consume(rest);
  }

  /** Index just past the MAC line, or -1 if not there yet. */
  private findHeaderEnd(): number {
    // Stanza lines start with "->" and body lines are base64, so "\n---" marks the MAC line.
    const macAt = this.head.indexOf('\n---', this.scanFrom, 'latin1');
    if (macAt >= 0) {
      const nl = this.head.indexOf(0x0a, macAt + 4);
      if (nl >= 0) return nl + 1;
      this.scanFrom = macAt;
    } else {
      this.scanFrom = Math.max(0, this.head.length - 3);
    }
    if (this.head.length > MAX_HEADER_SIZE) {
      throw corrupt('The archive is damaged: its age header is implausibly large.');
    }
    return -1;
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.state === 'header') {
        if (this.head.length === 0) throw corrupt('The archive is empty.');
        checkMagic(this.head, true);
        throw corrupt('The archive is truncated: it ends inside its age encryption header.');
      }
      if (this.state === 'nonce' || (this.counter === 0 && this.pending() === 0)) {
        throw corrupt('The archive is truncated: it ends before its encrypted data.');
      }
      this.finish();
      callback();
    } catch (err) {
      callback(asError(err));
    }
  }
}

export function createAgeDecryptor(opts: AgeDecryptOptions): Transform {
  const identities = (opts.identities ?? []).map(parseIdentity);
  const max = opts.maxScryptWorkFactor ?? DEFAULT_MAX_SCRYPT_WORK_FACTOR;
  if (!Number.isInteger(max) || max < 1 || max > 30) {
    throw new CoffreError(
      'USAGE',
      'The maximum scrypt work factor must be a whole number from 1 to 30.',
    );
  }
  return new AgeDecryptStream(identities, opts.passphrase, max);
}
