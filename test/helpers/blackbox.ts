/** Debian's prometheus-blackbox-exporter as a child process on 127.0.0.1, for side-by-side tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { freePort } from './exporters.js';
import { get } from './probe-app.js';

export const BLACKBOX_BIN = process.env['BLACKBOX_EXPORTER_BIN'] ?? '/usr/bin/prometheus-blackbox-exporter';

export function blackboxInstalled(): boolean {
  try {
    accessSync(BLACKBOX_BIN, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class Blackbox {
  private output = '';

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      if (this.output.length < 1 << 16) this.output += c;
    });
  }

  /** Starts it with `configFile` and waits (at most 10 s) until /-/healthy answers. */
  static async start(configFile: string): Promise<Blackbox> {
    const port = await freePort();
    const child = spawn(BLACKBOX_BIN, [`--config.file=${configFile}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    const bb = new Blackbox(child, port);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      try {
        if ((await get(port, '/-/healthy')).status === 200) return bb;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`blackbox_exporter did not start: ${bb.output}`);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      const force = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      this.child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      this.child.kill('SIGTERM');
    });
  }
}
