// What an S3 error means for a user: the SDK's and the network's errors as
// a Coffre error code and a reason they can act on, without the credentials.

import type { CoffreError } from '../core/errors.js';

interface SdkError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

export const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'the server refused the connection (is it running? check the endpoint)',
  ECONNRESET: 'the connection to the server was cut',
  EPIPE: 'the connection to the server was cut',
  ENOTFOUND: 'the host name could not be found (check the endpoint and the internet connection)',
  EAI_AGAIN: 'the host name could not be looked up (check the internet connection)',
  ETIMEDOUT: 'the server did not answer in time',
  EHOSTUNREACH: 'the server cannot be reached from this network',
  ENETUNREACH: 'this machine has no network to reach the server',
};

/** What went wrong, in words a user can act on. */
export function explainS3Error(
  err: unknown,
  doing: string,
  settings: { bucket: string; region: string },
  redact: (text: string) => string,
): { code: CoffreError['code']; reason: string; name: string; status: number | undefined } {
  const e = (err ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const name = e.Code ?? e.name ?? '';
  const net = e.code && NETWORK[e.code];
  let code: CoffreError['code'] = 'DESTINATION_UNAVAILABLE';
  let reason: string;
  if (net) reason = net;
  else if (
    [
      'InvalidAccessKeyId',
      'SignatureDoesNotMatch',
      'AccessDenied',
      'InvalidToken',
      'ExpiredToken',
      'Forbidden',
    ].includes(name) ||
    status === 401 ||
    status === 403
  ) {
    code = 'DESTINATION_AUTH';
    reason =
      'the service refused the credentials, or they have no right to this bucket' +
      (name ? ` (${name})` : '');
  } else if (name === 'NoSuchBucket' || (name === 'NotFound' && doing === 'opening the bucket'))
    reason = `the bucket "${settings.bucket}" does not exist`;
  else if (name === 'TimeoutError' || name === 'RequestTimeout')
    reason = 'the server stopped answering';
  else if (
    [
      'PermanentRedirect',
      'AuthorizationHeaderMalformed',
      'IllegalLocationConstraintException',
    ].includes(name) ||
    status === 301
  )
    reason = `the bucket is in another region than "${settings.region}": give the destination that region`;
  else if (name === 'NotImplemented' || status === 501)
    reason = `the service does not support this request (${name || 'HTTP 501'}); if it rejects checksums, add the destination again without checksums`;
  else if (status !== undefined && status >= 500)
    reason = `the service answered with an error (HTTP ${status}${name ? ` ${name}` : ''}); it may be down for a while`;
  else if (name === 'AbortError') reason = 'the transfer was stopped';
  else {
    // A request the service refused (4xx): its own words say why.
    reason = `the service refused the request (${name || 'error'}${status ? `, HTTP ${status}` : ''}: ${redact(e.message ?? String(err))})`;
  }
  return { code, reason, name, status };
}
