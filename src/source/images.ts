// Synthetic but genuine PNG files for the demo data: product photos for the
// register's catalog and scanned receipts for the accounting attachments.
// They must open in any image viewer, be byte-identical for a given seed and
// weigh roughly what was asked, so that backups of the demo move realistic
// amounts of barely compressible data (real photos do not shrink in zstd).

import { constants, crc32, deflateSync } from 'node:zlib';

/**
 * Small seeded PRNG (a Weyl sequence through a 32-bit mixing function).
 * Shared by the demo generators: Math.random() would make runs differ.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform unsigned 32-bit integer. */
  u32(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  range(min: number, max: number): number {
    return min + this.float() * (max - min);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)];
  }
}

/** Derives an independent seed for item `index` of a run seeded with `seed`. */
export function subSeed(seed: number, index: number): number {
  return new Rng((seed ^ Math.imul(index + 1, 0x27d4eb2f)) >>> 0).u32();
}

export type ImageKind = 'product' | 'receipt';

export interface ImageOptions {
  /** Wanted file size in bytes; the result lands within ±12 % (images are at least 16×16). */
  targetBytes: number;
  seed: number;
  kind?: ImageKind;
}

export interface GeneratedImage {
  png: Buffer;
  width: number;
  height: number;
}

type Rgb = readonly [number, number, number];

/**
 * Per-channel noise amplitude in bits. The noise dominates the compressed
 * size, which is what makes the size predictable from the pixel count.
 */
const NOISE_BITS: Record<ImageKind, number> = { product: 4, receipt: 3 };

/**
 * Observed compressed size model, bytes ≈ a·pixels + b·√pixels: the noise
 * costs a fixed amount per pixel, and edges (text on receipts) add a part that
 * grows with the side length. Used for the first guess of the dimensions.
 */
const SIZE_MODEL: Record<ImageKind, { a: number; b: number }> = {
  product: { a: 1.784, b: 10.7 },
  receipt: { a: 1.436, b: 59.8 },
};

/** Width / height. Receipts are long thermal-paper strips. */
const ASPECTS: Record<ImageKind, readonly number[]> = {
  product: [4 / 3, 1, 3 / 2],
  receipt: [1 / 2.2, 1 / 2.6, 1 / 1.8],
};

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Signature + IHDR + IEND, plus the chunk framing of a typical IDAT. */
const PNG_OVERHEAD = 8 + 25 + 12 + 12;
/** Real encoders split the image data; so do we, which also exercises readers. */
const IDAT_CHUNK = 64 * 1024;
const MIN_SIDE = 16;
const MAX_ATTEMPTS = 4;
const TOLERANCE = 0.12;

/**
 * Generates one PNG of about `targetBytes`. The dimensions come from the
 * target; if the first guess misses by more than the tolerance, the pixel
 * count is rescaled and the image drawn again (deterministically, since the
 * drawing depends only on the seed and the dimensions).
 */
export function generateImage(options: ImageOptions): GeneratedImage {
  const kind = options.kind ?? 'product';
  const target = Math.max(1, Math.floor(options.targetBytes));
  const aspect = new Rng(options.seed).pick(ASPECTS[kind]);
  const { a, b } = SIZE_MODEL[kind];
  const payload = Math.max(0, target - PNG_OVERHEAD);
  const side = (-b + Math.sqrt(b * b + 4 * a * payload)) / (2 * a);
  let pixels = Math.max(MIN_SIDE * MIN_SIDE, side * side);
  let best: GeneratedImage | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const width = Math.max(MIN_SIDE, Math.round(Math.sqrt(pixels * aspect)));
    const height = Math.max(MIN_SIDE, Math.round(width / aspect));
    const png = renderPng(kind, width, height, options.seed);
    const image = { png, width, height };
    if (best === undefined || Math.abs(png.length - target) < Math.abs(best.png.length - target)) {
      best = image;
    }
    const ratio = target / png.length;
    if (Math.abs(1 - ratio) <= TOLERANCE || (width === MIN_SIDE && ratio < 1)) break;
    pixels = width * height * ratio;
  }
  return best as GeneratedImage;
}

/** Convenience for callers that only need the bytes. */
export function generatePng(options: ImageOptions): Buffer {
  return generateImage(options).png;
}

function renderPng(kind: ImageKind, width: number, height: number, seed: number): Buffer {
  const canvas = new Canvas(width, height);
  const rng = new Rng(subSeed(seed, 1));
  if (kind === 'product') drawProduct(canvas, rng);
  else drawReceipt(canvas, rng);
  const scanlines = addNoiseAndFilter(canvas, NOISE_BITS[kind], rng.u32() | 1);
  return encodePng(width, height, scanlines);
}

/** An RGB, 8 bits per channel raster with the few primitives the scenes need. */
class Canvas {
  readonly px: Uint8Array;

  constructor(
    readonly w: number,
    readonly h: number,
  ) {
    this.px = new Uint8Array(w * h * 3);
  }

  x(f: number): number {
    return Math.round(f * this.w);
  }

  y(f: number): number {
    return Math.round(f * this.h);
  }

  /** Fills [x0, x1) × [y0, y1): one row drawn, the others copied. */
  rect(x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
    [x0, x1] = [clamp(Math.round(x0), 0, this.w), clamp(Math.round(x1), 0, this.w)];
    [y0, y1] = [clamp(Math.round(y0), 0, this.h), clamp(Math.round(y1), 0, this.h)];
    if (x0 >= x1 || y0 >= y1) return;
    const px = this.px;
    const first = (y0 * this.w + x0) * 3;
    const end = first + (x1 - x0) * 3;
    for (let i = first; i < end; i += 3) {
      px[i] = c[0];
      px[i + 1] = c[1];
      px[i + 2] = c[2];
    }
    for (let y = y0 + 1; y < y1; y++) px.copyWithin((y * this.w + x0) * 3, first, end);
  }

  /** Vertical gradient over rows [y0, y1), full width. */
  gradient(y0: number, y1: number, top: Rgb, bottom: Rgb): void {
    [y0, y1] = [clamp(Math.round(y0), 0, this.h), clamp(Math.round(y1), 0, this.h)];
    for (let y = y0; y < y1; y++) {
      const t = y1 - y0 > 1 ? (y - y0) / (y1 - y0 - 1) : 0;
      this.rect(0, y, this.w, y + 1, mix(top, bottom, t));
    }
  }

  /**
   * A rectangle lit from the upper left like a cylinder (jars, bottles,
   * cups): brightness follows a sine across the width.
   */
  cylinder(x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
    // Fractional coordinates would index the typed arrays off the fast path.
    [x0, x1, y0, y1] = [Math.round(x0), Math.round(x1), Math.round(y0), Math.round(y1)];
    const width = x1 - x0;
    if (width <= 0) return;
    const shade = new Float32Array(width);
    for (let x = 0; x < width; x++) {
      const u = (x + 0.5) / width;
      shade[x] = 0.55 + 0.55 * Math.sin(Math.PI * Math.pow(u, 0.8));
    }
    const [ya, yb] = [clamp(y0, 0, this.h), clamp(y1, 0, this.h)];
    const px = this.px;
    for (let y = ya; y < yb; y++) {
      for (let x = Math.max(0, x0); x < Math.min(this.w, x1); x++) {
        const s = shade[x - x0];
        const i = (y * this.w + x) * 3;
        px[i] = clampByte(c[0] * s);
        px[i + 1] = clampByte(c[1] * s);
        px[i + 2] = clampByte(c[2] * s);
      }
    }
  }

  /**
   * Filled ellipse. `shaded` gives it volume (bread, fruit); `alpha` < 1
   * blends it over what is there (shadows).
   */
  ellipse(
    cx: number,
    cy: number,
    rx: number,
    ry: number,
    c: Rgb,
    opts: { shaded?: boolean; alpha?: number } = {},
  ): void {
    if (rx <= 0 || ry <= 0) return;
    const alpha = opts.alpha ?? 1;
    const px = this.px;
    const yStart = clamp(Math.ceil(cy - ry), 0, this.h);
    const yEnd = clamp(Math.floor(cy + ry) + 1, 0, this.h);
    for (let y = yStart; y < yEnd; y++) {
      const dy = (y + 0.5 - cy) / ry;
      if (dy * dy > 1) continue;
      const half = rx * Math.sqrt(1 - dy * dy);
      const xa = clamp(Math.round(cx - half), 0, this.w);
      const xb = clamp(Math.round(cx + half), 0, this.w);
      for (let x = xa; x < xb; x++) {
        const i = (y * this.w + x) * 3;
        let s = 1;
        if (opts.shaded === true) {
          const dx = (x + 0.5 - cx) / rx;
          const d = 1 - dx * dx - dy * dy;
          s = 0.45 + 0.6 * Math.sqrt(d > 0 ? d : 0) - 0.15 * dx - 0.2 * dy;
        }
        for (let k = 0; k < 3; k++) {
          const v = c[k] * s;
          const old = px[i + k];
          px[i + k] = clampByte(old + (v - old) * alpha);
        }
      }
    }
  }
}

function drawProduct(cv: Canvas, rng: Rng): void {
  // Studio backdrop: a pale tinted wall, then the table the product stands on.
  const tint = randomColor(rng, 0.12, 0.93);
  const horizon = rng.range(0.62, 0.75);
  cv.gradient(0, cv.y(horizon), tint, mix(tint, [150, 150, 150], 0.25));
  const table = randomColor(rng, 0.25, 0.7);
  cv.gradient(cv.y(horizon), cv.h, mix(table, [230, 230, 230], 0.2), mix(table, [30, 30, 30], 0.3));

  const color = randomColor(rng, rng.range(0.45, 0.8), rng.range(0.45, 0.75));
  const base = rng.range(horizon + 0.08, 0.9);
  const cx = rng.range(0.42, 0.58);
  const shape = rng.pick(['jar', 'bottle', 'loaf', 'box', 'cup'] as const);
  const bodyW = shape === 'bottle' ? rng.range(0.14, 0.2) : rng.range(0.24, 0.4);
  const shadowW = shape === 'loaf' ? 0.36 : bodyW * 0.75;
  cv.ellipse(cv.w * (cx + 0.03), cv.h * base, cv.w * shadowW, cv.h * 0.035, [20, 20, 25], {
    alpha: 0.45,
  });

  const x0 = cv.x(cx - bodyW / 2);
  const x1 = cv.x(cx + bodyW / 2);
  switch (shape) {
    case 'jar': {
      const top = base - rng.range(0.32, 0.45);
      cv.cylinder(x0, cv.y(top), x1, cv.y(base), color);
      cv.cylinder(x0 - 2, cv.y(top - 0.07), x1 + 2, cv.y(top), randomColor(rng, 0.6, 0.4));
      label(cv, rng, x0, x1, top + 0.08, base - 0.08);
      break;
    }
    case 'bottle': {
      const shoulder = base - rng.range(0.3, 0.4);
      cv.cylinder(x0, cv.y(shoulder), x1, cv.y(base), color);
      cv.ellipse(cv.w * cx, cv.h * shoulder, (x1 - x0) / 2, cv.h * 0.06, color, { shaded: true });
      const neck = (x1 - x0) / 5;
      const neckTop = shoulder - rng.range(0.18, 0.24);
      cv.cylinder(cv.x(cx) - neck, cv.y(neckTop), cv.x(cx) + neck, cv.y(shoulder), color);
      cv.cylinder(
        cv.x(cx) - neck - 1,
        cv.y(neckTop - 0.04),
        cv.x(cx) + neck + 1,
        cv.y(neckTop),
        [180, 150, 60],
      );
      label(cv, rng, x0, x1, shoulder + 0.08, base - 0.1);
      break;
    }
    case 'loaf': {
      const crust: Rgb = [rng.int(170, 205), rng.int(110, 140), rng.int(45, 70)];
      const ry = rng.range(0.1, 0.16);
      const rx = rng.range(0.26, 0.36);
      cv.ellipse(cv.w * cx, cv.h * (base - ry * 0.9), cv.w * rx, cv.h * ry, crust, {
        shaded: true,
      });
      const cuts = rng.int(2, 4);
      for (let k = 0; k < cuts; k++) {
        const fx = cx - rx * 0.6 + ((k + 0.5) * rx * 1.2) / cuts;
        cv.ellipse(
          cv.w * fx,
          cv.h * (base - ry * 1.1),
          cv.w * rx * 0.12,
          cv.h * ry * 0.25,
          [235, 205, 150],
        );
      }
      break;
    }
    case 'box': {
      const top = base - rng.range(0.35, 0.5);
      const depth = Math.round(cv.w * 0.05);
      cv.rect(x1, cv.y(top) - depth, x1 + depth, cv.y(base) - depth, mix(color, [0, 0, 0], 0.35));
      cv.rect(
        x0 + depth,
        cv.y(top) - depth,
        x1 + depth,
        cv.y(top),
        mix(color, [255, 255, 255], 0.3),
      );
      cv.rect(x0, cv.y(top), x1, cv.y(base), color);
      label(cv, rng, x0, x1, top + 0.06, base - 0.06);
      break;
    }
    case 'cup': {
      const top = base - rng.range(0.2, 0.28);
      const rxHandle = (x1 - x0) * 0.22;
      const cyHandle = cv.h * (top + (base - top) * 0.45);
      cv.ellipse(x1, cyHandle, rxHandle, cv.h * 0.07, mix(color, [0, 0, 0], 0.2));
      cv.ellipse(x1, cyHandle, rxHandle * 0.5, cv.h * 0.04, mix(tint, table, 0.5));
      cv.cylinder(x0, cv.y(top), x1, cv.y(base), color);
      cv.ellipse(cv.w * cx, cv.h * top, (x1 - x0) / 2, cv.h * 0.03, [235, 235, 230]);
      cv.ellipse(cv.w * cx, cv.h * top, (x1 - x0) / 2 - 2, cv.h * 0.022, [90, 55, 30]);
      break;
    }
  }
}

/** A paper label with a few lines of "text" (dark bars). */
function label(cv: Canvas, rng: Rng, x0: number, x1: number, top: number, bottom: number): void {
  if (bottom <= top) return;
  const inset = Math.round((x1 - x0) * 0.08);
  const paper = mix(randomColor(rng, 0.25, 0.9), [250, 248, 240], 0.5);
  cv.cylinder(x0 + inset, cv.y(top), x1 - inset, cv.y(bottom), paper);
  const lines = rng.int(2, 4);
  const step = (bottom - top) / (lines + 1);
  for (let k = 1; k <= lines; k++) {
    const width = (x1 - x0 - 4 * inset) * rng.range(0.4, 0.9);
    const xm = (x0 + x1) / 2;
    const y = cv.y(top + k * step);
    const thick = Math.max(1, Math.round((cv.h * step) / (k === 1 ? 2.5 : 4)));
    cv.rect(Math.round(xm - width / 2), y, Math.round(xm + width / 2), y + thick, [40, 35, 35]);
  }
}

function drawReceipt(cv: Canvas, rng: Rng): void {
  // The scanner lid around a strip of thermal paper, slightly off-centre.
  cv.gradient(0, cv.h, [78, 80, 84], [58, 60, 64]);
  const left = cv.x(rng.range(0.05, 0.1));
  const right = cv.x(rng.range(0.9, 0.95));
  const top = cv.y(rng.range(0.01, 0.03));
  const bottom = cv.y(rng.range(0.96, 0.99));
  const shadow = Math.max(1, Math.round(cv.w * 0.012));
  cv.rect(left + shadow, top + shadow, right + shadow, bottom + shadow, [40, 40, 44]);
  const paper: Rgb = [rng.int(226, 236), rng.int(224, 232), rng.int(212, 222)];
  const paperW = right - left;
  cv.cylinder(left, top, right, bottom, mix(paper, [255, 255, 255], 0.05));
  // Thermal print fades: each receipt has its own ink darkness.
  const ink: Rgb = mix([30, 30, 38], paper, rng.range(0, 0.35));
  const lineH = Math.max(3, Math.round(paperW / 22));
  const charW = Math.max(1, Math.round(paperW / 34));
  const margin = Math.round(paperW * 0.07);
  let y = top + lineH * 2;
  let row = 0;
  const barcodeAt = bottom - lineH * 6;
  while (y + lineH < barcodeAt) {
    const glyphH = Math.max(1, Math.round(lineH * 0.6));
    if (row < 4) {
      // Shop name and address, centred.
      const chars = rng.int(10, 26);
      const w = Math.min(paperW - 2 * margin, chars * charW);
      const x = left + Math.round((paperW - w) / 2);
      words(cv, rng, x, y, w, row === 0 ? glyphH + 2 : glyphH, charW, ink);
    } else if (rng.chance(0.1)) {
      // Dashed separator.
      for (let x = left + margin; x < right - margin; x += charW * 2) {
        cv.rect(x, y + (lineH >> 1), x + charW, y + (lineH >> 1) + 1, ink);
      }
    } else {
      // An item: label on the left, amount on the right.
      const labelW = rng.int(6, 18) * charW;
      words(cv, rng, left + margin, y, labelW, glyphH, charW, ink);
      const amountW = rng.int(4, 7) * charW;
      cv.rect(right - margin - amountW, y, right - margin, y + glyphH, ink);
    }
    y += lineH;
    row++;
  }
  // A barcode at the foot of the receipt.
  let x = left + margin * 2;
  while (x < right - margin * 2) {
    const bar = rng.int(1, 3);
    cv.rect(x, barcodeAt + lineH, x + bar, bottom - lineH * 2, ink);
    x += bar + rng.int(1, 3);
  }
}

/** Dark bars of random lengths separated by spaces: text seen from afar. */
function words(
  cv: Canvas,
  rng: Rng,
  x: number,
  y: number,
  width: number,
  glyphH: number,
  charW: number,
  ink: Rgb,
): void {
  const end = x + width;
  while (x < end) {
    const w = Math.min(end - x, rng.int(2, 8) * charW);
    cv.rect(x, y, x + w, y + glyphH, ink);
    x += w + charW;
  }
}

/**
 * Adds sensor/paper grain and applies PNG filter 1 (Sub) in the same pass,
 * producing the filtered scanlines ready for deflate. Grain uses a xorshift
 * generator inline: a method call per pixel would dominate the run time.
 */
function addNoiseAndFilter(cv: Canvas, bits: number, seed: number): Buffer {
  const { w, h, px } = cv;
  const stride = w * 3;
  const out = Buffer.allocUnsafe(h * (stride + 1));
  const mask = (1 << bits) - 1;
  const half = 1 << (bits - 1);
  let s = seed | 0 || 1;
  let o = 0;
  let i = 0;
  for (let y = 0; y < h; y++) {
    out[o++] = 1;
    let pr = 0;
    let pg = 0;
    let pb = 0;
    for (let x = 0; x < w; x++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      let r = px[i] + (s & mask) - half;
      let g = px[i + 1] + ((s >>> 8) & mask) - half;
      let b = px[i + 2] + ((s >>> 16) & mask) - half;
      r = r < 0 ? 0 : r > 255 ? 255 : r;
      g = g < 0 ? 0 : g > 255 ? 255 : g;
      b = b < 0 ? 0 : b > 255 ? 255 : b;
      out[o] = (r - pr) & 255;
      out[o + 1] = (g - pg) & 255;
      out[o + 2] = (b - pb) & 255;
      pr = r;
      pg = g;
      pb = b;
      o += 3;
      i += 3;
    }
  }
  return out;
}

function encodePng(width: number, height: number, scanlines: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bits per channel
  ihdr[9] = 2; // colour type: RGB
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // not interlaced
  // Noise defeats LZ77 matching anyway; Huffman-only is several times faster
  // and makes the output size track the pixel count closely.
  const data = deflateSync(scanlines, { level: 1, strategy: constants.Z_HUFFMAN_ONLY });
  const parts: Buffer[] = [PNG_SIGNATURE, chunk('IHDR', ihdr)];
  for (let at = 0; at < data.length; at += IDAT_CHUNK) {
    parts.push(chunk('IDAT', data.subarray(at, at + IDAT_CHUNK)));
  }
  parts.push(chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function randomColor(rng: Rng, saturation: number, lightness: number): Rgb {
  return hsl(rng.float(), saturation, lightness);
}

function hsl(h: number, s: number, l: number): Rgb {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number): number => {
    const k = (n + h * 12) % 12;
    return clampByte(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [
    clampByte(a[0] + (b[0] - a[0]) * t),
    clampByte(a[1] + (b[1] - a[1]) * t),
    clampByte(a[2] + (b[2] - a[2]) * t),
  ];
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}
