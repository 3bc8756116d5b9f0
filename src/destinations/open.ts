// Turns a destination's config into the Destination that writes there.

import type { SidecarParser } from '../core/sidecar.js';
import { CoffreError } from '../core/errors.js';
import type { DestinationConfig } from '../state/config.js';
import { readCredentialsFile, type CloudCredentials } from '../state/secrets.js';
import { FolderDestination } from './folder.js';
import { S3Destination } from './s3.js';
import type { Destination } from './types.js';

export interface OpenContext {
  /** Makes a path from the config absolute (relative to the home). */
  resolvePath(p: string): string;
  /** The credentials the host gave (the CLI: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY). */
  cloudCredentials: CloudCredentials | null;
  /** How the destination reads its sidecars (a fiscal area reads fiscal archives'). */
  parseSidecar?: SidecarParser;
}

export function openDestination(
  name: string,
  conf: DestinationConfig,
  context: OpenContext,
): Destination {
  if (conf.kind === 'external') {
    return new FolderDestination(
      name,
      'external',
      context.resolvePath(conf.path),
      context.parseSidecar,
    );
  }
  return new S3Destination(
    name,
    {
      endpoint: conf.endpoint,
      bucket: conf.bucket,
      prefix: conf.prefix,
      region: conf.region,
      pathStyle: conf.pathStyle,
      quotaBytes: conf.quotaBytes,
      checksums: conf.checksums,
    },
    () => {
      if (conf.credentialsFile) {
        return readCredentialsFile(
          context.resolvePath(conf.credentialsFile),
          conf.credentialsProfile,
        );
      }
      if (context.cloudCredentials) return context.cloudCredentials;
      throw new CoffreError(
        'DESTINATION_AUTH',
        `Cloud destination "${name}" has no credentials: give it a credentials file, or give credentials when Coffre is opened.`,
        { details: { destination: name } },
      );
    },
    context.parseSidecar,
  );
}
