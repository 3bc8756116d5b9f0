// coffre serve: the Backup center page and its API, and the schedule, in one
// process, so that page, schedule and CLI share one lock and one history.

import fs from 'node:fs';
import type { Command } from 'commander';
import { logUnexpected } from '../../host.js';
import { CoffreError } from '../../index.js';
import type { SchedulerEvent } from '../../scheduler/daemon.js';
import { openCenter, print, type HomeOption } from '../context.js';

export interface ServeOptions extends HomeOption {
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureListen?: boolean;
  hostName?: string[];
  json?: boolean;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'serve the Backup center page and its API, and run the schedule; stops on SIGTERM/SIGINT',
    )
    .option(
      '--listen <host:port>',
      'address to listen on (loopback unless TLS is given)',
      '127.0.0.1:8470',
    )
    .option('--tls-cert <file>', 'TLS certificate (PEM): serve HTTPS')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option(
      '--insecure-listen',
      'allow plain HTTP on a non-loopback address (passwords cross the network in clear)',
    )
    .option(
      '--host-name <name...>',
      "a name the page is opened under (besides addresses, localhost and this machine's name)",
    )
    .option('--home <dir>', 'Coffre home (default: $COFFRE_HOME or ~/.coffre)')
    .option('--json', 'one JSON line per event')
    .action((opts: ServeOptions) => serve(opts));
}

/** Serves the page and runs the schedule until SIGTERM or SIGINT. */
export async function serve(opts: ServeOptions): Promise<void> {
  // Loaded here: the server and the scheduler weigh on every other command's start-up.
  const { createServer, isLoopback, parseListen } = await import('../../server/index.js');
  const { Scheduler, systemClock } = await import('../../scheduler/daemon.js');
  const { host, port } = parseListen(opts.listen);
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw new CoffreError('USAGE', 'Give both --tls-cert and --tls-key, or neither.');
  }
  const https =
    opts.tlsCert && opts.tlsKey
      ? { cert: fs.readFileSync(opts.tlsCert), key: fs.readFileSync(opts.tlsKey) }
      : undefined;
  const emit = (e: Record<string, unknown>, text: string) =>
    opts.json ? print(JSON.stringify(e)) : print(text);
  if (!https && !isLoopback(host)) {
    if (!opts.insecureListen) {
      throw new CoffreError(
        'USAGE',
        `Listening on ${host} without TLS would send passwords in clear: give --tls-cert and --tls-key, listen on 127.0.0.1, or add --insecure-listen.`,
      );
    }
    process.stderr.write(
      `Warning: serving plain HTTP on ${host}: passwords and session cookies cross the network in clear. Use TLS (--tls-cert, --tls-key) unless this network is trusted.\n`,
    );
  }
  const center = await openCenter(opts);
  const app = await createServer(center, {
    https,
    hostNames: opts.hostName ?? [],
    onUnexpected: (err, id) => {
      logUnexpected(center.paths.root, err, [
        ...process.argv.slice(0, 2),
        'serve',
        `error-id=${id}`,
      ]);
    },
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    await app.listen({ host, port }).catch((err: unknown) => {
      if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
      throw new CoffreError(
        'USAGE',
        `Something already listens on ${host}:${port} (another \`coffre serve\`?): stop it, or choose another address with --listen.`,
      );
    });
    const address = app.server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    const shown = host.includes(':') ? `[${host}]` : host;
    const url = `${https ? 'https' : 'http'}://${shown}:${bound}/`;
    emit(
      { type: 'ready', pid: process.pid, url },
      `Backup center of "${center.identity.name}" at ${url} (process ${process.pid}); stop with Ctrl-C or SIGTERM.`,
    );
    if (center.users.list().length === 0 && !opts.json) {
      print('No users yet: add one with `coffre user add NAME --rights export,settings`.');
    }
    const show = (e: SchedulerEvent) =>
      emit(
        e,
        `${e.at} ${e.type}${'kind' in e ? ` ${e.kind}` : ''}${'message' in e ? `: ${e.message}` : ''}`,
      );
    await new Scheduler(center, systemClock, show).run(stop.signal);
  } finally {
    await app.close();
    center.close();
  }
}
