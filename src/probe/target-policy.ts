/**
 * Where /probe may go. blackbox_exporter has no such guard; a sidecar's /probe answers whoever
 * can scrape it, from inside the pod, next to ports that are not meant to be reachable. So:
 * - --probe.allowed-targets is a regex that the whole *normalised* target must match: for an
 *   http module the URL as it is fetched (see normalisedUrl), for an icmp module the host as it
 *   is resolved (see normaliseHost). Matching what is fetched rather than what was typed means
 *   that `0x7f000001`, `LOCALHOST`, full-width digits or `allowed:80@internal` cannot pass as
 *   something else. Every redirect is held to it as well.
 * - --probe.allowed-networks / --probe.denied-networks are address rules, checked on the address
 *   actually connected to (after resolution, for the target and for every redirect), which no
 *   spelling of a name can get past. By default they deny what a probe never has a reason to
 *   reach and an attacker often does: unspecified, link-local and cloud metadata addresses.
 */
import { isIP } from 'node:net';
import { defineFlag, FlagError, type FlagSpec, type ParsedFlags } from '../cli/flags.js';
import type { UserRegex } from '../gocompat/user-regex.js';
import { ipBytes } from './resolve.js';
import type { ProbeGuard } from './types.js';


/**
 * "This host" (connecting to it reaches the local host), IPv4 and IPv6 link-local (which hold
 * the metadata service of AWS, GCP, Azure, OpenStack and DigitalOcean at 169.254.169.254), AWS's
 * IPv6 metadata address and Alibaba Cloud's metadata address.
 */
export const DEFAULT_DENIED_NETWORKS = ['0.0.0.0/8', '169.254.0.0/16', '100.100.100.200/32', '::/128', 'fe80::/10', 'fd00:ec2::254/128'];

export const ALLOWED_TARGETS_FLAG = defineFlag({
  name: 'probe.allowed-targets',
  kind: 'regex',
  help:
    'Regular expression (RE2 syntax) that the whole /probe target, normalised, must match; others get 403. http modules: matched against the URL as fetched, scheme://host[:port]/path?query (scheme and host in lower case, IP addresses in canonical form, punycode names, no default port, user info or fragment; http:// when the target has no scheme), and so is every redirect. icmp modules: matched against the host. Example: https?://(www|api)\\.example\\.com/.*. Unset: every target is allowed, as in blackbox_exporter.',
});
export const ALLOWED_NETWORKS_FLAG = defineFlag({
  name: 'probe.allowed-networks',
  kind: 'string',
  default: '',
  help: 'Comma-separated networks (CIDR, or single addresses) that /probe may connect to, checked on the resolved address of the target and of every redirect. Empty: every address not denied by --probe.denied-networks.',
});
export const DENIED_NETWORKS_FLAG = defineFlag({
  name: 'probe.denied-networks',
  kind: 'string',
  default: DEFAULT_DENIED_NETWORKS.join(','),
  help: 'Comma-separated networks (CIDR, or single addresses) that /probe never connects to, whatever the other two flags allow; checked like --probe.allowed-networks. The default holds the unspecified, link-local and cloud metadata addresses; set it empty to allow them.',
});
export const targetPolicyFlags: readonly FlagSpec[] = [ALLOWED_TARGETS_FLAG, ALLOWED_NETWORKS_FLAG, DENIED_NETWORKS_FLAG];

/** What --probe.allowed-targets sees of a URL: what is fetched, without user info or fragment. */
export function normalisedUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}${url.search}`;
}

/**
 * An icmp target as the URL parser reads a host: lower case, IPv4 in dotted decimal (also from
 * `0x7f000001`, `0177.0.0.1`, `2130706433` or full-width digits, which the resolver would
 * otherwise accept), non-ASCII names in punycode. Anything that is not a plain host (a port,
 * user info, a path) stays as it is: the resolver refuses it.
 */
export function normaliseHost(target: string): string {
  if (isIP(target) === 6) return target.toLowerCase();
  if (/[/?#@\\:\s]/.test(target)) return target;
  try {
    const hostname = new URL(`http://${target}`).hostname;
    return hostname === '' ? target : hostname;
  } catch {
    return target;
  }
}

/**
 * A tcp or dns target ("host:port", "[v6]:port", or for dns a bare host) with its host
 * normalised as normaliseHost does; what cannot be split stays as it is (the prober refuses it).
 */
export function normaliseHostPort(target: string): string {
  const bracketed = /^\[([^\]]*)\]:(\d*)$/.exec(target);
  if (bracketed) return `[${(bracketed[1] as string).toLowerCase()}]:${bracketed[2]}`;
  const plain = /^([^:]*):(\d*)$/.exec(target);
  if (plain) {
    const host = normaliseHost(plain[1] as string);
    return `${isIP(host) === 6 ? `[${host}]` : host}:${plain[2]}`;
  }
  return normaliseHost(target);
}

interface Network {
  readonly text: string;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

function parseNetwork(text: string): Network {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const family = isIP(address);
  if (family === 0 || address.includes('%')) throw new Error(`${JSON.stringify(text)} is not an IP address or CIDR network`);
  const bytes = ipBytes(address);
  // An IPv4-mapped IPv6 network (::ffff:a.b.c.d/n) is the IPv4 network, as addresses are compared.
  const offset = family === 6 && bytes.length === 4 ? 96 : 0;
  const full = bytes.length * 8 + offset;
  const prefixText = slash === -1 ? String(full) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > full || Number(prefixText) < offset) {
    throw new Error(`${JSON.stringify(text)} has an invalid prefix length (0 to ${full}${offset ? `, at least ${offset} for an IPv4-mapped network` : ''})`);
  }
  return { text, bytes, prefix: Number(prefixText) - offset };
}

function contains(network: Network, address: Uint8Array): boolean {
  if (network.bytes.length !== address.length) return false;
  for (let bit = 0; bit < network.prefix; bit += 8) {
    const mask = network.prefix - bit >= 8 ? 0xff : (0xff << (8 - (network.prefix - bit))) & 0xff;
    if (((network.bytes[bit / 8] as number) & mask) !== ((address[bit / 8] as number) & mask)) return false;
  }
  return true;
}

/** A list of networks; IPv4-mapped IPv6 addresses count as the IPv4 address they carry. */
export class Networks {
  private constructor(private readonly list: readonly Network[]) {}

  /** Parses "10.0.0.0/8, fd00::/8, 192.0.2.7"; throws with the bad entry. */
  static parse(text: string): Networks {
    return new Networks(
      text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .map(parseNetwork),
    );
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** The first network holding `address` (an IP literal), as written, or undefined. */
  find(address: string): string | undefined {
    const bytes = ipBytes(address);
    return this.list.find((n) => contains(n, bytes))?.text;
  }
}

export interface TargetPolicyOptions {
  /** The whole normalised target must match; undefined allows every target. */
  readonly allowedTargets?: UserRegex;
  /** When not empty, the only networks a probe may connect to. */
  readonly allowedNetworks?: Networks;
  /** Networks a probe never connects to. */
  readonly deniedNetworks?: Networks;
}

/** The rules in force for /probe; each check returns why it refuses, or undefined. */
export class TargetPolicy implements ProbeGuard {
  constructor(private readonly options: TargetPolicyOptions) {}

  /** Whether --probe.allowed-targets is set. */
  get restrictsTargets(): boolean {
    return this.options.allowedTargets !== undefined;
  }

  /** Whether --probe.allowed-targets lets through a target as normalisedUrl or normaliseHost give it. */
  allowsTarget(normalised: string): boolean {
    return this.options.allowedTargets?.testWhole(normalised) ?? true;
  }

  /** For http targets and each redirect. */
  refuseUrl(url: URL): string | undefined {
    const seen = normalisedUrl(url);
    return this.allowsTarget(seen) ? undefined : `${seen} is not allowed by --${ALLOWED_TARGETS_FLAG.name}`;
  }

  /** For the address a probe is about to connect to. */
  refuseAddress(address: string): string | undefined {
    const denied = this.options.deniedNetworks?.find(address);
    if (denied !== undefined) return `address ${address} is in ${denied}, denied by --${DENIED_NETWORKS_FLAG.name}`;
    const allowed = this.options.allowedNetworks;
    if (allowed && !allowed.empty && allowed.find(address) === undefined) return `address ${address} is not in --${ALLOWED_NETWORKS_FLAG.name}`;
    return undefined;
  }
}

/** The policy the command line asks for; a bad network list is a FlagError naming its flag. */
export function targetPolicyFromFlags(flags: ParsedFlags): TargetPolicy {
  const networks = (flag: typeof ALLOWED_NETWORKS_FLAG): Networks => {
    try {
      return Networks.parse(flags.get(flag));
    } catch (err) {
      throw new FlagError(`invalid value for flag --${flag.name}: ${(err as Error).message}`);
    }
  };
  const allowedTargets = flags.get(ALLOWED_TARGETS_FLAG);
  return new TargetPolicy({
    ...(allowedTargets ? { allowedTargets } : {}),
    allowedNetworks: networks(ALLOWED_NETWORKS_FLAG),
    deniedNetworks: networks(DENIED_NETWORKS_FLAG),
  });
}
