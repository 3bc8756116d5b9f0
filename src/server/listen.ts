// Where `coffre serve` may listen: loopback by default; another address only
// over TLS, or with an explicit flag for plain HTTP (and a warning).

import { CoffreError } from '../index.js';

export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new CoffreError(
      'USAGE',
      `"${value}" is not an address to listen on: give HOST:PORT, e.g. 127.0.0.1:8470 or [::1]:8470.`,
    );
  }
  return { host: m[1] ?? m[2], port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
