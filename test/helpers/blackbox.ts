/** Debian's prometheus-blackbox-exporter as a child process on 127.0.0.1, for side-by-side tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
  /** A folder of its own (its modules file), removed at stop. */
  private dir: string | undefined;

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

  /** Starts it with `modules` (a blackbox.yml text) in a folder of its own; undefined when it is not installed. */
  static async withModules(modules: string): Promise<Blackbox | undefined> {
    if (!blackboxInstalled()) return undefined;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'blackbox-'));
    const file = path.join(dir, 'blackbox.yml');
    writeFileSync(file, modules);
    try {
      const bb = await Blackbox.start(file);
      bb.dir = dir;
      return bb;
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  stop(): Promise<void> {
    const dir = this.dir;
    if (dir) this.child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
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
