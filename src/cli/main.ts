#!/usr/bin/env node
// The `coffre` command's entry point, and the only place that sets the process
// exit code. It loads nothing but Coffre's version before it knows the command:
// `coffre --version` prints it and stops; everything else (commander, the
// commands, the center under them) is loaded by program.ts, on demand.

import { COFFRE_VERSION } from '../version.js';

const args = process.argv.slice(2);

if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${COFFRE_VERSION}\n`);
} else {
  // `coffre list | head`: a closed pipe is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const { runProgram } = await import('./program.js');
  process.exitCode = await runProgram(process.argv);
}
