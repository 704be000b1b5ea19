/**
 * The ICMP prober: the system ping (iputils), driven through the `ping` package's own argument
 * builder and output parser. The package's probe() cannot be used as it is: it offers no way
 * to kill its child (no signal, no timer), sets only LANG=C (LC_ALL in our environment would
 * still localise the numbers), and writes LANG=C into our own process.env. So this module
 * spawns the command the package builds, with LC_ALL=C, kills it at the deadline, and hands
 * the output to the package's parser; RTT and loss come back as strings and become numbers.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { platform } from 'node:os';
import type { PingConfig, PingResponse } from 'ping';
import { raceSignal } from './abort.js';
import { resolveAdmitted } from './resolve.js';
import { ResultBuilder } from './result.js';
import type { FailureReason, IcmpDetails, IcmpProbeOptions, Prober, ProbeResult } from './types.js';

/** The builder's config: `false` (only literally false) leaves a flag out. */
type BuilderConfig = Omit<PingConfig, 'deadline'> & { deadline?: number | false };
interface ArgumentBuilder {
  getCommandArguments(target: string, config: BuilderConfig): string[];
}
interface BuilderFactory {
  createBuilder(platform: string): ArgumentBuilder;
  getExecutablePath(platform: string, v6: boolean): string;
}
interface OutputParser {
  eat(line: string): unknown;
  getResult(): PingResponse;
}
interface ParserFactory {
  createParser(addr: string, platform: string, config: PingConfig): OutputParser;
}

const require = createRequire(import.meta.url);
const builderFactory = require('ping/lib/builder/factory') as BuilderFactory;
const parserFactory = require('ping/lib/parser/factory') as ParserFactory;

/** iputils' own wait for a reply when no -W is given. */
const DEFAULT_TIMEOUT_SECONDS = 10;
/** Past ping's own bound (count − 1 intervals plus the reply wait), kill it anyway. */
const KILL_GRACE_MS = 2000;
const OUTPUT_LIMIT = 64 * 1024;
const DETECT_TIMEOUT_MS = 5000;
/** iputils' and busybox's wording when the process may not open an ICMP socket. */
const NOT_PERMITTED = /socket: (Operation not permitted|Permission denied)|permission denied \(are you root\?\)/i;

/** The child's environment: C locale for every category, so RTTs use a decimal point. */
function pingEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C', LANG: 'C' };
}

interface CommandOutcome {
  readonly output: string;
  readonly exitCode: number | null;
  /** spawn's error (ENOENT, EACCES) when the command could not run. */
  readonly spawnError?: NodeJS.ErrnoException;
  readonly killed: boolean;
  /** When the child had started (performance.now() ms). */
  readonly spawnedAt?: number;
}

/** Runs a command with our environment, bounded by `signal` and `limitMs`, output capped. */
function runCommand(file: string, args: readonly string[], limitMs: number, signal?: AbortSignal): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    let output = '';
    let killed = false;
    let spawnedAt: number | undefined;
    let settled = false;
    const child = spawn(file, args, { env: pingEnv(), shell: false, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const kill = (): void => {
      killed = true;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(kill, limitMs);
    const onAbort = (): void => kill();
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (outcome: Omit<CommandOutcome, 'output' | 'killed' | 'spawnedAt'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve({ ...outcome, output, killed, ...(spawnedAt !== undefined ? { spawnedAt } : {}) });
    };
    const collect = (chunk: Buffer): void => {
      if (output.length < OUTPUT_LIMIT) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('spawn', () => {
      spawnedAt = performance.now();
    });
    child.once('error', (err) => finish({ exitCode: null, spawnError: err }));
    child.once('close', (code) => finish({ exitCode: code }));
    if (signal?.aborted) kill();
  });
}

// ---- detection of a usable system ping ----

export interface PingAvailability {
  /** False when probes cannot work at all: they fail with reason 'permission'. */
  readonly usable: boolean;
  /** What is wrong (when not usable) or worth a warning. */
  readonly problem?: string;
  /** The `ping -V` banner, e.g. "ping from iputils 20221126". */
  readonly version?: string;
  /** Whether `ping6` is on PATH; otherwise IPv6 probes run `ping -6`. */
  readonly hasPing6: boolean;
}

const HOW_TO_PERMIT = 'give /usr/bin/ping the cap_net_raw capability (setcap cap_net_raw+ep) or allow the group in net.ipv4.ping_group_range';

/** Runs `ping -V` and one echo to 127.0.0.1, to tell a missing, BusyBox or forbidden ping apart. */
export async function detectPing(): Promise<PingAvailability> {
  const os = platform();
  if (os !== 'linux' && os !== 'android') return { usable: true, hasPing6: true };
  const version = await runCommand('ping', ['-V'], DETECT_TIMEOUT_MS);
  if (version.spawnError) {
    const missing = version.spawnError.code === 'ENOENT';
    return {
      usable: false,
      hasPing6: false,
      problem: missing
        ? 'no ping executable on PATH; install iputils-ping (Debian/Ubuntu: apt-get install iputils-ping; Alpine: apk add iputils)'
        : `ping cannot be run (${version.spawnError.code ?? version.spawnError.message}); check its permissions`,
    };
  }
  const banner = version.output.split('\n')[0]?.trim() ?? '';
  if (/busybox/i.test(version.output) || !/iputils/i.test(version.output)) {
    return {
      usable: false,
      hasPing6: false,
      problem: `ping is not iputils ping (ping -V said ${JSON.stringify(banner.slice(0, 200))}); BusyBox ping is not supported, install iputils-ping`,
    };
  }
  const ping6 = await runCommand('ping6', ['-V'], DETECT_TIMEOUT_MS);
  const hasPing6 = !ping6.spawnError && /iputils/i.test(ping6.output);
  const echo = await runCommand('ping', ['-n', '-c', '1', '-W', '1', '127.0.0.1'], DETECT_TIMEOUT_MS);
  const firstLine = echo.output.trim().split('\n')[0] ?? '';
  if (NOT_PERMITTED.test(echo.output)) {
    return { usable: false, hasPing6, version: banner, problem: `ping may not open an ICMP socket (${firstLine}); ${HOW_TO_PERMIT}` };
  }
  if (echo.exitCode !== 0) {
    return { usable: true, hasPing6, version: banner, problem: `ping to 127.0.0.1 failed (${firstLine || `exit status ${echo.exitCode}`})` };
  }
  return { usable: true, hasPing6, version: banner };
}

// ---- the prober ----

/** The ping command the package builds for one probe (a fresh config object every time: the package mutates it). */
export function pingCommand(address: string, v6: boolean, options: IcmpProbeOptions, hasPing6: boolean): { file: string; args: string[]; replyWaitSeconds: number } {
  const os = platform();
  const count = Math.max(1, Math.floor(options.count));
  const budget = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  // ping sends one request a second and then waits -W for the last reply; no -w, which would
  // keep sending until the deadline and turn `count` into a number of replies.
  const replyWaitSeconds = Math.max(1, Math.ceil(budget - (count - 1)));
  const extra: string[] = [];
  if (options.ttl !== undefined) extra.push('-t', String(options.ttl));
  if (options.dontFragment && !v6) extra.push('-M', 'do');
  const useDash6 = v6 && !hasPing6 && (os === 'linux' || os === 'android');
  if (useDash6) extra.push('-6');
  const config: BuilderConfig = {
    numeric: true,
    deadline: false,
    timeout: replyWaitSeconds,
    min_reply: count,
    v6,
    extra,
    ...(options.payloadSize ? { packetSize: options.payloadSize } : {}),
  };
  const args = builderFactory.createBuilder(os).getCommandArguments(address, config);
  const file = useDash6 ? 'ping' : builderFactory.getExecutablePath(os, v6);
  return { file, args, replyWaitSeconds };
}

/** The package's parse of ping's output, with its strings turned into numbers. */
export function parsePingOutput(address: string, output: string, count: number): { alive: boolean; rttSeconds: number; packetLoss: number; hopLimit?: number } {
  let parsed: PingResponse | undefined;
  try {
    const parser = parserFactory.createParser(address, platform(), {});
    for (const line of output.split('\n')) parser.eat(line);
    parsed = parser.getResult();
  } catch {
    // The package's parser indexes into lines it assumes well formed; error output can break it.
    parsed = undefined;
  }
  const times = (parsed?.times ?? []).filter((t) => Number.isFinite(t));
  const alive = parsed?.alive === true && times.length > 0;
  const avg = Number(parsed?.avg);
  const rttMs = Number.isFinite(avg) ? avg : times.length > 0 ? times.reduce((a, b) => a + b, 0) / times.length : 0;
  const loss = Number(parsed?.packetLoss);
  const packetLoss = Number.isFinite(loss) ? loss / 100 : Math.max(0, 1 - times.length / Math.max(1, count));
  const ttl = /\bttl=(\d+)/.exec(output);
  return { alive, rttSeconds: alive ? rttMs / 1000 : 0, packetLoss, ...(ttl ? { hopLimit: Number(ttl[1]) } : {}) };
}

function lastLine(output: string): string {
  return output.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
}

export const probeIcmp: Prober<IcmpProbeOptions> = async (target, options, signal, log, env) => {
  const outcome = new ResultBuilder();
  const phases = { resolve: 0, setup: 0, rtt: 0 };
  let icmp: Omit<IcmpDetails, 'phases'> = { packetLoss: 1 };
  const result = (reason: FailureReason | undefined): ProbeResult => outcome.result(reason, { icmp: { ...icmp, phases: { ...phases } } });
  try {
    if (signal.aborted) return result('timeout');
    let availability: PingAvailability;
    try {
      availability = await raceSignal(env.ping.availability(), signal);
    } catch {
      return result('timeout');
    }
    if (!availability.usable) {
      log.error('Cannot run the system ping', { err: availability.problem });
      return result('permission');
    }
    const resolution = await resolveAdmitted(target, options, outcome, { signal, log, lookups: env.lookups, resolveLevel: 'warn' });
    phases.resolve = resolution.lookupSeconds;
    if (!resolution.ok) return result(resolution.reason);
    const command = pingCommand(resolution.address, resolution.family === 6, options, availability.hasPing6);
    const limitMs = (Math.max(1, options.count) - 1 + command.replyWaitSeconds) * 1000 + KILL_GRACE_MS;
    log.info('Running ping', { command: [command.file, ...command.args].join(' ') });
    const setupStart = performance.now();
    const run = await runCommand(command.file, command.args, limitMs, signal);
    if (run.spawnedAt !== undefined) phases.setup = (run.spawnedAt - setupStart) / 1000;
    if (run.spawnError) {
      log.error('Cannot run the system ping', { err: `${command.file}: ${run.spawnError.code ?? run.spawnError.message}` });
      return result('permission');
    }
    const parsed = parsePingOutput(resolution.address, run.output, options.count);
    icmp = { packetLoss: parsed.packetLoss, ...(parsed.hopLimit !== undefined ? { replyHopLimit: parsed.hopLimit } : {}) };
    if (parsed.alive) {
      phases.rtt = parsed.rttSeconds;
      log.info('Found matching reply packet', { rtt_seconds: parsed.rttSeconds, packet_loss: parsed.packetLoss });
      return result(undefined);
    }
    if (signal.aborted || run.killed) {
      log.warn('Timeout waiting for ping', { err: 'context deadline exceeded' });
      return result('timeout');
    }
    if (NOT_PERMITTED.test(run.output)) {
      log.error('ping may not open an ICMP socket', { err: lastLine(run.output), hint: HOW_TO_PERMIT });
      return result('permission');
    }
    log.warn('No reply from target', { output: lastLine(run.output) });
    return result('icmp_no_reply');
  } catch (err) {
    log.error('ICMP probe failed unexpectedly', { err });
    return result(signal.aborted ? 'timeout' : 'error');
  }
};
