/** Debian's prometheus-blackbox-exporter as a child process on 127.0.0.1, for side-by-side tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { freePort } from './exporters.js';
import type { ParsedFamily } from './exposition-parse.js';
import { get } from './probe-app.js';

export const BLACKBOX_BIN = process.env['BLACKBOX_EXPORTER_BIN'] ?? '/usr/bin/prometheus-blackbox-exporter';

/** The http prober's families whose values agree with blackbox_exporter's whatever the timing. */
export const HTTP_COMPARED_VALUES: readonly string[] = [
  'probe_success',
  'probe_http_status_code',
  'probe_http_redirects',
  'probe_http_ssl',
  'probe_http_version',
  'probe_http_content_length',
  'probe_http_uncompressed_body_length',
  'probe_failed_due_to_regex',
  'probe_ssl_earliest_cert_expiry',
];

/**
 * Every family of blackbox's answer (`theirs`) but those in `notEmitted` is in ours, with the
 * same type, the same label sets and, when `help` is set, the same help.
 */
export function expectFamiliesOf(
  t: ExecutionContext,
  ours: ReadonlyMap<string, ParsedFamily>,
  theirs: ReadonlyMap<string, ParsedFamily>,
  opts: { readonly notEmitted: readonly string[]; readonly help: boolean; readonly context?: string },
): void {
  const context = opts.context ?? '';
  for (const [name, family] of theirs) {
    if (opts.notEmitted.includes(name)) continue;
    const ourFamily = ours.get(name);
    t.truthy(ourFamily, `we lack ${name}${context}`);
    t.is(ourFamily?.type, family.type, name);
    if (opts.help) t.is(ourFamily?.help, family.help, name);
    t.deepEqual(ourFamily?.samples.map((s) => s.labels), family.samples.map((s) => s.labels), `${name}${context}`);
  }
}

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
