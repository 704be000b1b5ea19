/**
 * Starts and stops the real exporter processes (ours, and Debian's node_exporter for
 * comparison) on free loopback ports, and scrapes them. Every wait here is bounded in time.
 * Used by the process-level tests and by bench/scrape-bench.ts, so it must not import ava.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { collectorFactories } from '../../src/collectors.js';
import { cannotRunHere } from './skip.js';

/** The repository root (this file runs from build/test/helpers). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const OUR_MAIN = path.join(REPO_ROOT, 'build/src/main.js');
/**
 * The Node flags of main.js's `#!/usr/bin/env -S node ...` line: tests and the bench start ours
 * with them, as the bin, `npm start` and the image do.
 */
export const OUR_NODE_FLAGS: readonly string[] = launcherNodeFlags(readFileSync(OUR_MAIN, 'utf8'));
export const NODE_EXPORTER_BIN = process.env['NODE_EXPORTER_BIN'] ?? '/usr/bin/prometheus-node-exporter';
export const PROMTOOL_BIN = process.env['PROMTOOL_BIN'] ?? '/usr/bin/promtool';

export type ExporterKind = 'ours' | 'node_exporter';

const LOOPBACK = '127.0.0.1';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const START_ATTEMPTS = 3;
/** Keep at most this much of a child's output; enough for any failure message. */
const OUTPUT_LIMIT = 1 << 20;

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** For tests that need an external binary: true when it is there, else see cannotRunHere. */
export function requireBinary(t: ExecutionContext, file: string, what: string): boolean {
  if (isExecutable(file)) return true;
  cannotRunHere(t, `${what} (${file}) is not installed; install it (Debian: apt-get install prometheus-node-exporter prometheus) to run this test`);
  return false;
}

/** Names of the collectors in our registry, in registry order. */
export function registeredCollectors(): { name: string; defaultEnabled: boolean }[] {
  return collectorFactories.map((f) => ({ name: f.name, defaultEnabled: f.defaultEnabled }));
}

let nodeExporterCollectorCache: Map<string, boolean> | undefined;

/**
 * node_exporter's collectors and their defaults, read from its --help ("Enable the X collector
 * (default: enabled)."), or an empty map when the binary is absent.
 */
export function nodeExporterCollectors(): Map<string, boolean> {
  if (nodeExporterCollectorCache) return nodeExporterCollectorCache;
  const found = new Map<string, boolean>();
  if (isExecutable(NODE_EXPORTER_BIN)) {
    // kingpin prints --help on stderr with status 0 in old versions, stdout in new ones.
    let help = '';
    try {
      help = execFileSync(NODE_EXPORTER_BIN, ['--help'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      help = (e.stdout ?? '') + (e.stderr ?? '');
    }
    const flat = help.replace(/\s+/g, ' ');
    for (const m of flat.matchAll(/Enable the ([a-z0-9_]+) collector \(default: (enabled|disabled)\)/g)) {
      found.set(m[1] as string, m[2] === 'enabled');
    }
  }
  nodeExporterCollectorCache = found;
  return found;
}

/** Our registered collectors that node_exporter also has: the ones the two can be compared on. */
export function sharedCollectors(): string[] {
  const theirs = nodeExporterCollectors();
  return registeredCollectors()
    .map((c) => c.name)
    .filter((n) => theirs.has(n));
}

/** A port nobody listens on right now (the kernel picks it; a race is handled by retrying). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
}

export interface GetOptions {
  readonly headers?: Record<string, string>;
  readonly agent?: http.Agent;
  readonly timeoutMs?: number;
}

/** GET http://127.0.0.1:port/path; the body is not decompressed. */
export function httpGet(port: number, urlPath: string, opts: GetOptions = {}): Promise<HttpResponse> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: LOOPBACK, port, path: urlPath, method: 'GET', headers: opts.headers, agent: opts.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${urlPath} on port ${port}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Children still running, killed if the test process exits without stopping them. */
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

/** The arguments after `node` on a script's `#!/usr/bin/env -S node ...` line; none for `#!/usr/bin/env node`. */
export function launcherNodeFlags(script: string): string[] {
  const first = script.slice(0, script.indexOf('\n'));
  const m = /^#!\/usr\/bin\/env (?:-S )?node((?: \S+)*)$/.exec(first);
  if (!m) throw new Error(`not a node shebang: ${first}`);
  return (m[1] ?? '').split(' ').filter(Boolean);
}

function commandFor(kind: ExporterKind, args: readonly string[], nodeFlags: readonly string[] = OUR_NODE_FLAGS): { file: string; argv: string[] } {
  return kind === 'ours'
    ? { file: process.execPath, argv: [...nodeFlags, OUR_MAIN, ...args] }
    : { file: NODE_EXPORTER_BIN, argv: [...args] };
}

/** Collects a child's stdout and stderr into one bounded log. */
function captureOutput(child: ChildProcess): { output: () => string; stdout: () => string; stderr: () => string } {
  let all = '';
  let out = '';
  let err = '';
  const keep = (s: string, chunk: string): string => (s.length < OUTPUT_LIMIT ? s + chunk : s);
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    out = keep(out, c);
    all = keep(all, c);
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    err = keep(err, c);
    all = keep(all, c);
  });
  return { output: () => all, stdout: () => out, stderr: () => err };
}

export class ExporterProcess {
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly kind: ExporterKind,
    readonly port: number,
    readonly child: ChildProcess,
    private readonly captured: ReturnType<typeof captureOutput>,
  ) {
    liveChildren.add(child);
    // 'close' rather than 'exit': it comes after the output pipes are drained.
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        liveChildren.delete(child);
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Everything the process wrote on stderr so far (and stdout, for node_exporter's --help). */
  get output(): string {
    return this.captured.output();
  }

  get stderr(): string {
    return this.captured.stderr();
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  get(urlPath: string, opts?: GetOptions): Promise<HttpResponse> {
    return httpGet(this.port, urlPath, opts);
  }

  /** GET /metrics (or the given path), failing with the process' output when it is not 200. */
  async scrape(urlPath = '/metrics', opts?: GetOptions): Promise<string> {
    const res = await this.get(urlPath, opts);
    if (res.status !== 200) {
      throw new Error(`${this.kind} ${urlPath}: HTTP ${res.status}: ${res.text.slice(0, 500)}\n${this.output.slice(-2000)}`);
    }
    return res.text;
  }

  /** Resolves when the process has exited, or with undefined after timeoutMs. */
  async waitExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within the bound. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.exitInfo) return this.exitInfo;
    this.child.kill('SIGTERM');
    const graceful = await this.waitExit(STOP_TIMEOUT_MS);
    if (graceful) return graceful;
    this.child.kill('SIGKILL');
    const killed = await this.waitExit(STOP_TIMEOUT_MS);
    if (!killed) throw new Error(`${this.kind} (pid ${this.pid}) did not exit after SIGKILL`);
    return killed;
  }
}

export interface StartOptions {
  readonly readyTimeoutMs?: number;
  /** Node flags for ours instead of OUR_NODE_FLAGS (the bench compares heap settings). */
  readonly nodeFlags?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Starts an exporter on a free loopback port (`--web.listen-address` is added) and waits until
 * it answers HTTP. Retries with another port if the port was taken in between.
 */
export async function startExporter(kind: ExporterKind, args: readonly string[], opts: StartOptions = {}): Promise<ExporterProcess> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? READY_TIMEOUT_MS;
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await freePort();
    const { file, argv } = commandFor(kind, [`--web.listen-address=${LOOPBACK}:${port}`, ...args], opts.nodeFlags);
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    const proc = new ExporterProcess(kind, port, child, captureOutput(child));
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
    });
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline && proc.alive) {
      if (spawnError) throw new Error(`cannot start ${file}: ${spawnError.message}`);
      try {
        await httpGet(port, '/', { timeoutMs: 1000 });
      } catch {
        await sleep(50);
        continue;
      }
      // Another process may have taken the port first and answered; ours then fails to bind and
      // exits. Both exporters log "Listening on" once bound: wait for it (briefly, in case the
      // log level hides it), then make sure the child is still there.
      for (let i = 0; i < 10 && !proc.output.includes('Listening on') && proc.alive; i++) await sleep(30);
      if (proc.alive) return proc;
    }
    if (proc.alive) {
      await proc.stop();
      throw new Error(`${kind} did not answer on port ${port} within ${readyTimeoutMs} ms; output:\n${proc.output}`);
    }
    await proc.waitExit(STOP_TIMEOUT_MS);
    lastError = new Error(`${kind} exited before answering (args: ${argv.join(' ')}); output:\n${proc.output}`);
    if (!/address already in use|already in use/i.test(proc.output)) throw lastError;
  }
  throw lastError ?? new Error('unreachable');
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs an exporter that is expected to exit by itself (bad flags, --help), bounded in time. */
export async function runToExit(kind: ExporterKind, args: readonly string[], timeoutMs = 10_000): Promise<RunResult> {
  const { file, argv } = commandFor(kind, args);
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const captured = captureOutput(child);
  const proc = new ExporterProcess(kind, 0, child, captured);
  const exit = await proc.waitExit(timeoutMs);
  if (!exit) {
    await proc.stop();
    throw new Error(`${kind} ${args.join(' ')} was still running after ${timeoutMs} ms; output:\n${captured.output()}`);
  }
  return { ...exit, stdout: captured.stdout(), stderr: captured.stderr() };
}

/** Runs a command with the given stdin (and environment) and returns its exit status and output, bounded in time. */
export async function runWithInput(file: string, args: readonly string[], input: string, timeoutMs = 30_000, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
  const captured = captureOutput(child);
  // 'close' rather than 'exit': it comes after the output pipes are drained.
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  child.stdin?.on('error', () => undefined); // The command may exit before reading everything.
  child.stdin?.end(input);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    const exit = await Promise.race([closed, timeout]);
    return { ...exit, stdout: captured.stdout(), stderr: captured.stderr() };
  } finally {
    clearTimeout(timer);
  }
}
