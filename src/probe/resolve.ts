/**
 * Target resolution as blackbox_exporter's chooseProtocol does it: one address of the
 * preferred family, or of the other one when fallback is allowed; no retries, no cache.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from '../lib/log.js';
import { abortError, raceSignal } from './abort.js';
import type { Slots } from './slots.js';
import type { ResultBuilder } from './result.js';
import type { FailureReason, IpProtocol, ProbeGuard } from './types.js';

export type Resolution =
  | { readonly ok: true; readonly address: string; readonly family: 4 | 6; readonly lookupSeconds: number }
  | { readonly ok: false; readonly reason: 'dns' | 'timeout'; readonly message: string; readonly lookupSeconds: number };

/**
 * getaddrinfo runs on libuv's thread pool (4 threads by default), which also serves the file
 * reads of every scrape; a slow DNS server must not occupy all of it, so lookups wait for one
 * of these slots, held until getaddrinfo returns (not when the probe gives up). The pool is
 * the process's, so one set of slots serves every prober of the process (the wiring hands the
 * same ProbeEnvironment to /probe and to the scheduled checks).
 */
export const MAX_CONCURRENT_LOOKUPS = 2;

/** RFC 6761 §6.4: names under .invalid never resolve, so they are not sent to a DNS server. */
function isSpecialInvalid(host: string): boolean {
  return /(^|\.)invalid\.?$/i.test(host);
}

/**
 * Go's isDomainName, which blackbox's resolver applies before sending any query: letters,
 * digits, '_' and '-' (not at a label's ends), labels of 1 to 63 bytes, at most 254 in all,
 * not all digits. Anything else (spaces, option-like "-c", non-ASCII) fails without a lookup.
 */
export function isDomainName(host: string): boolean {
  if (host === '.') return true;
  if (host.length === 0 || host.length > 254) return false;
  const labels = (host.endsWith('.') ? host.slice(0, -1) : host).split('.');
  return (
    labels.every((l) => l.length >= 1 && l.length <= 63 && /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?$/.test(l)) &&
    /[A-Za-z_-]/.test(host)
  );
}

function notFound(host: string): Error {
  return Object.assign(new Error(`lookup ${host}: no such host`), { code: 'ENOTFOUND' });
}

async function lookupAll(host: string, family: 0 | 4 | 6, signal: AbortSignal, lookups: Slots): Promise<{ address: string; family: number }[]> {
  if (isIP(host)) return [{ address: host, family: isIP(host) }];
  if (!isDomainName(host) || isSpecialInvalid(host)) throw notFound(host);
  const release = await lookups.acquire(signal);
  if (release === undefined) throw abortError();
  const work = lookup(host, { all: true, family, verbatim: true });
  work.then(release, release);
  return raceSignal(work, signal);
}

function isAbort(err: unknown): boolean {
  return (err as Error | undefined)?.name === 'AbortError';
}

/** Picks the address to probe for `host` (a name or an IP literal, without brackets). */
export async function resolveTarget(
  host: string,
  preferred: IpProtocol,
  fallback: boolean,
  signal: AbortSignal,
  log: Logger,
  lookups: Slots,
): Promise<Resolution> {
  const wanted = preferred === 'ip4' ? 4 : 6;
  log.info('Resolving target address', { target: host, ip_protocol: preferred });
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  let addresses: { address: string; family: number }[];
  try {
    addresses = await lookupAll(host, fallback ? 0 : wanted, signal, lookups);
  } catch (err) {
    const timedOut = signal.aborted || isAbort(err);
    const message = timedOut ? 'context deadline exceeded' : (err as Error).message;
    log.error('Resolution with IP protocol failed', { target: host, err: message });
    return { ok: false, reason: timedOut ? 'timeout' : 'dns', message, lookupSeconds: elapsed() };
  }
  const chosen = addresses.find((a) => a.family === wanted) ?? (fallback ? addresses[0] : undefined);
  if (!chosen) {
    const message = addresses.length === 0 ? 'no addresses' : 'unable to find ip; no fallback';
    log.error('Resolution with IP protocol failed', { target: host, err: message });
    return { ok: false, reason: 'dns', message, lookupSeconds: elapsed() };
  }
  log.info('Resolved target address', { target: host, ip: chosen.address });
  return { ok: true, address: chosen.address, family: chosen.family === 6 ? 6 : 4, lookupSeconds: elapsed() };
}

/** The bytes of an IP literal (4 for IPv4, 16 for IPv6, as Go's To4/To16). */
export function ipBytes(address: string): Uint8Array {
  const plain = address.replace(/%.*$/, '');
  const kind = isIP(plain);
  if (kind === 4) return Uint8Array.from(plain.split('.').map(Number));
  if (kind !== 6) throw new Error(`not an IP address: ${address}`);
  let text = plain;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    tail.push(...(v4[1] as string).split('.').map(Number));
    text = text.slice(0, -(v4[1] as string).length) + '0:0';
  }
  const [head = '', rest] = text.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const before = groups(head);
  const after = rest === undefined ? [] : groups(rest);
  const all = [...before, ...Array<string>(8 - before.length - after.length).fill('0'), ...after];
  const bytes = all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  // An IPv4-mapped address counts as IPv4, as Go's To4 does.
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return Uint8Array.from(mapped ? bytes.slice(12) : bytes);
}

/** FNV-32a of the address bytes: blackbox's probe_ip_addr_hash. */
export function ipAddrHash(address: string): number {
  let hash = 0x811c9dc5;
  for (const byte of ipBytes(address)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** What a prober needs to resolve its target and have the address admitted. */
export interface AdmitOptions {
  readonly preferredIpProtocol: IpProtocol;
  readonly ipProtocolFallback: boolean;
  readonly guard?: ProbeGuard;
}

/**
 * resolveTarget, recorded on `outcome`, then the guard's network rules applied to the address:
 * the resolution, or the failure reason to report (logged here, as blackbox logs it: resolution
 * errors at `resolveLevel`).
 */
export async function resolveAdmitted(
  host: string,
  options: AdmitOptions,
  outcome: ResultBuilder,
  env: { readonly signal: AbortSignal; readonly log: Logger; readonly lookups: Slots; readonly resolveLevel?: 'warn' | 'error' },
): Promise<Extract<Resolution, { ok: true }> | { readonly ok: false; readonly reason: FailureReason; readonly lookupSeconds: number }> {
  const { signal, log, lookups } = env;
  const resolution = await resolveTarget(host, options.preferredIpProtocol, options.ipProtocolFallback, signal, log, lookups);
  outcome.lookedUp(resolution.lookupSeconds);
  if (!resolution.ok) {
    log[env.resolveLevel ?? 'error']('Error resolving address', { err: resolution.message });
    return resolution;
  }
  outcome.resolvedTo(resolution.address, resolution.family);
  const refusal = options.guard?.refuseAddress(resolution.address);
  if (refusal !== undefined) {
    log.error('Target address not allowed', { err: refusal });
    return { ok: false, reason: 'permission', lookupSeconds: resolution.lookupSeconds };
  }
  return resolution;
}
