// Telling someone: a command run with the event in its environment, and/or a
// JSON POST to a webhook. A failing alert is reported, never thrown: an alert
// must not turn a failed backup into a crashed scheduler.

import { spawn } from 'node:child_process';
import { withExports } from '../core/shell.js';

export interface AlertTargets {
  command: string | null;
  webhook: string | null;
}

export interface AlertEvent {
  event: 'backup-failed' | 'verify-failed' | 'backup-stale' | 'fiscal-failed' | 'test';
  register: { id: string; name: string };
  message: string;
  at: string;
}

export async function sendAlert(targets: AlertTargets, alert: AlertEvent): Promise<string[]> {
  const problems: string[] = [];
  if (targets.command) {
    const code = await new Promise<number | string>((resolve) => {
      const command = withExports(targets.command!, {
        COFFRE_EVENT: alert.event,
        COFFRE_MESSAGE: alert.message,
        COFFRE_REGISTER: alert.register.name,
      });
      const child = spawn(command, { shell: true, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', (err) => resolve(err.message));
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve(c ?? 'killed');
      });
    });
    if (code !== 0) problems.push(`alert command ended with ${String(code)}`);
  }
  if (targets.webhook) {
    try {
      const res = await fetch(targets.webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alert),
        signal: AbortSignal.timeout(15_000),
      });
      if (!res.ok) problems.push(`webhook answered ${res.status}`);
    } catch (err) {
      problems.push(`webhook unreachable: ${(err as Error).message}`);
    }
  }
  return problems;
}
