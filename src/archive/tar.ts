// A streaming tar writer and reader, just large enough for Coffre archives:
// regular files in POSIX ustar form, with pax extended headers for names that
// do not fit ustar or are not ASCII and for sizes of 8 GiB and more. GNU tar,
// bsdtar and busybox tar read what this writes.

import { CoffreError } from '../core/errors.js';

const BLOCK = 512;
const USTAR_MAX_SIZE = 0o77777777777;

export interface TarEntryHeader {
  name: string;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  mode: number;
  type: 'file' | 'directory' | 'other';
}

function writeString(block: Buffer, value: string, offset: number, length: number): void {
  block.write(value, offset, length, 'utf8');
}

function writeOctal(block: Buffer, value: number, offset: number, length: number): void {
  // length - 1 digits then a NUL, as GNU tar writes them.
  block.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}

function ustarBlock(
  name: string,
  size: number,
  mtime: number,
  mode: number,
  typeflag: string,
): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeString(block, name, 0, 100);
  writeOctal(block, mode, 100, 8);
  writeOctal(block, 0, 108, 8);
  writeOctal(block, 0, 116, 8);
  writeOctal(block, Math.min(size, USTAR_MAX_SIZE), 124, 12);
  writeOctal(block, Math.max(0, Math.floor(mtime)), 136, 12);
  block.fill(0x20, 148, 156);
  block.write(typeflag, 156, 1, 'ascii');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i];
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return block;
}

function paxRecord(key: string, value: string): string {
  // Each record is "<length> <key>=<value>\n" where length counts itself.
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length++;
  return `${length}${body}`;
}

/** The header blocks for one regular file: a pax header first when needed. */
export function tarFileHeader(name: string, size: number, mtime: number, mode = 0o644): Buffer {
  const records: string[] = [];
  const asciiName = /^[\x20-\x7e]*$/.test(name);
  if (!asciiName || Buffer.byteLength(name) > 100) records.push(paxRecord('path', name));
  if (size > USTAR_MAX_SIZE) records.push(paxRecord('size', String(size)));
  const main = ustarBlock(
    records.length > 0 && records[0].includes(' path=') ? fallbackName(name) : name,
    size,
    mtime,
    mode,
    '0',
  );
  if (records.length === 0) return main;
  const pax = Buffer.from(records.join(''));
  return Buffer.concat([
    ustarBlock(fallbackName(`PaxHeaders/${name}`), pax.length, mtime, 0o644, 'x'),
    pax,
    Buffer.alloc(tarPaddingSize(pax.length)),
    main,
  ]);
}

/** An ASCII name of at most 100 bytes for readers that ignore pax headers. */
function fallbackName(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_');
  return ascii.length <= 100 ? ascii : ascii.slice(ascii.length - 100);
}

export function tarPaddingSize(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Two zero blocks end an archive. */
export const TAR_END = Buffer.alloc(BLOCK * 2);

function corrupt(message: string): CoffreError {
  return new CoffreError('CORRUPT_ARCHIVE', `The archive's tar stream is damaged: ${message}.`);
}

function readOctal(block: Buffer, offset: number, length: number): number {
  const text = block
    .toString('ascii', offset, offset + length)
    .replace(/[\0 ]+$/, '')
    .trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw corrupt(`bad number field "${text}"`);
  return parseInt(text, 8);
}

function readString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString(
    'utf8',
    offset,
    end === -1 || end > offset + length ? offset + length : end,
  );
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const length = parseInt(data.toString('ascii', pos, space), 10);
    if (!Number.isFinite(length) || length <= 0) throw corrupt('bad pax record');
    const record = data.toString('utf8', space + 1, pos + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += length;
  }
  return out;
}

/** Reads exactly the bytes asked for from an async byte source. */
class ByteReader {
  private buffered: Buffer[] = [];
  private bufferedLength = 0;
  private done = false;
  private readonly iterator: AsyncIterator<Buffer>;

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async fill(min: number): Promise<boolean> {
    while (this.bufferedLength < min && !this.done) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        break;
      }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      this.buffered.push(chunk);
      this.bufferedLength += chunk.length;
    }
    return this.bufferedLength >= min;
  }

  /** Exactly n bytes, or null at a clean end (no bytes left). */
  async exact(n: number): Promise<Buffer | null> {
    if (!(await this.fill(n))) {
      if (this.bufferedLength === 0) return null;
      throw corrupt('it ends in the middle of an entry');
    }
    const all = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.bufferedLength = rest.length;
    return out;
  }

  /** Up to n bytes (at least one), as they come, without concatenating. */
  async some(n: number): Promise<Buffer> {
    if (!(await this.fill(1))) throw corrupt('it ends in the middle of an entry');
    const first = this.buffered[0];
    if (first.length <= n) {
      this.buffered.shift();
      this.bufferedLength -= first.length;
      return first;
    }
    this.buffered[0] = first.subarray(n);
    this.bufferedLength -= n;
    return first.subarray(0, n);
  }

  /** Whatever remains, drained; returns whether any of it is non-zero. */
  async drainHasData(): Promise<boolean> {
    let nonZero = false;
    for (;;) {
      if (!(await this.fill(1))) return nonZero;
      for (const chunk of this.buffered) if (chunk.some((b) => b !== 0)) nonZero = true;
      this.buffered = [];
      this.bufferedLength = 0;
    }
  }
}

export interface TarEntry extends TarEntryHeader {
  /** The entry's bytes; must be consumed before asking for the next entry. */
  body: AsyncIterable<Buffer>;
}

/**
 * Yields the entries of a tar stream in order. Each entry's body must be read
 * to the end (or not at all: unread bodies are skipped) before the next entry.
 * Throws CORRUPT_ARCHIVE on a damaged header or a truncated stream, and when
 * bytes other than zero padding follow the end-of-archive marker.
 */
export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(source);
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  for (;;) {
    const block = await reader.exact(BLOCK);
    if (block === null) throw corrupt('the end-of-archive marker is missing');
    if (block.every((b) => b === 0)) {
      // End of archive. What follows must be zero padding only.
      if (await reader.drainHasData()) throw corrupt('data follows the end of the archive');
      return;
    }
    const stored = readOctal(block, 148, 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
    if (stored !== sum) throw corrupt('a header checksum does not match');
    const typeflag = String.fromCharCode(block[156]);
    let size = readOctal(block, 124, 12);
    if (pax.size !== undefined) size = Number(pax.size);
    const padded = size + tarPaddingSize(size);

    if (typeflag === 'x' || typeflag === 'L' || typeflag === 'g') {
      const data = await reader.exact(padded);
      if (data === null) throw corrupt('it ends inside an extended header');
      if (typeflag === 'x') pax = { ...pax, ...parsePax(data.subarray(0, size)) };
      if (typeflag === 'L') longName = readString(data, 0, size);
      continue;
    }

    const prefix = readString(block, 345, 155);
    const ustarName = readString(block, 0, 100);
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${ustarName}` : ustarName);
    const mtime =
      pax.mtime !== undefined ? Math.floor(Number(pax.mtime)) : readOctal(block, 136, 12);
    const mode = readOctal(block, 100, 8);
    pax = {};
    longName = undefined;
    const type: TarEntry['type'] =
      typeflag === '0' || typeflag === '\0' ? 'file' : typeflag === '5' ? 'directory' : 'other';

    let remaining = size;
    let consumed = false;
    const body = async function* (): AsyncGenerator<Buffer> {
      consumed = true;
      while (remaining > 0) {
        const chunk = await reader.some(Math.min(remaining, 1 << 20));
        remaining -= chunk.length;
        yield chunk;
      }
    };
    yield { name, size, mtime, mode, type, body: body() };
    if (!consumed || remaining > 0) {
      while (remaining > 0) remaining -= (await reader.some(Math.min(remaining, 1 << 20))).length;
    }
    const pad = tarPaddingSize(size);
    if (pad > 0 && (await reader.exact(pad)) === null) throw corrupt('it ends inside an entry');
  }
}
