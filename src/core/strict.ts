// Pure: a zod object that refuses unknown keys and names the valid ones. A
// misspelt key ("schedul", "tombstone") is an error, never silently dropped
// (and then erased by the next save). Shared by the config and app profiles.

import { z } from 'zod';

export function strictObject<T extends z.ZodRawShape>(shape: T) {
  const valid = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; the valid keys here are: ${valid}`
        : undefined,
  });
}

/** Readable `path: message` lines from a zod error. */
export function issueLines(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const p = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    return `${p || '(root)'}: ${issue.message}`;
  });
}
