/**
 * The probers, one entry per protocol (blackbox_exporter's prober/ table): how a `modules:`
 * entry of /probe and a scheduled `checks:` entry become the prober's options, and the prober.
 * /probe and the uptime scheduler both find their prober here. A prober's module is loaded on
 * its first probe: the exporter without checks or /probe requests loads none of them.
 */
import type { CheckConfig, ProbeModule } from '../config/schema.js';
import type { Logger } from '../lib/log.js';
import type { ProbeEnvironment } from './environment.js';
import { type DnsCheckConfig, dnsOptionsFromCheck, dnsOptionsFromModule, type DnsProbeOptions } from './dns-options.js';
import { type HttpCheckConfig, httpOptionsFromCheck, httpOptionsFromModule, type IcmpCheckConfig, icmpOptionsFromCheck, icmpOptionsFromModule } from './options.js';
import { type TcpCheckConfig, tcpOptionsFromCheck, tcpOptionsFromModule, type TcpProbeOptions } from './tcp-options.js';
import type { HttpProbeOptions, IcmpProbeOptions, ProbeGuard, Prober, ProbeResult } from './types.js';

export type Protocol = CheckConfig['protocol'] & ProbeModule['prober'];

interface OptionsOf {
  http: HttpProbeOptions;
  icmp: IcmpProbeOptions;
  tcp: TcpProbeOptions;
  dns: DnsProbeOptions;
}
interface CheckOf {
  http: HttpCheckConfig;
  icmp: IcmpCheckConfig;
  tcp: TcpCheckConfig;
  dns: DnsCheckConfig;
}

export interface ProberEntry<P extends Protocol> {
  /** A /probe module's options; `timeoutSeconds` is the request's effective timeout. */
  fromModule(module: ProbeModule, timeoutSeconds: number): OptionsOf[P];
  /** A scheduled check's options. */
  fromCheck(check: CheckOf[P]): OptionsOf[P];
  /** The prober, its module imported on first use (import() keeps it after that). */
  load(): Promise<Prober<OptionsOf[P]>>;
  /**
   * Called whenever a module or check of this protocol is configured, so that what keeps its
   * probes from working is logged at start-up rather than at the first probe.
   */
  prepare?(env: ProbeEnvironment, log: Logger): void;
}

export const PROBERS: { readonly [P in Protocol]: ProberEntry<P> } = {
  http: {
    fromModule: (module) => httpOptionsFromModule(module.http),
    fromCheck: httpOptionsFromCheck,
    load: () => import('./http/prober.js').then((m) => m.probeHttp),
  },
  icmp: {
    fromModule: (module, timeoutSeconds) => icmpOptionsFromModule(module.icmp, timeoutSeconds),
    fromCheck: icmpOptionsFromCheck,
    load: () => import('./icmp.js').then((m) => m.probeIcmp),
    // Detects the system ping once, warning if it is missing, BusyBox or not permitted; icmp
    // probes then fail with reason "permission" without spawning anything.
    prepare: (env, log) => void env.ping.availability(log),
  },
  tcp: {
    fromModule: tcpOptionsFromModule,
    fromCheck: tcpOptionsFromCheck,
    load: () => import('./tcp.js').then((m) => m.probeTcp),
  },
  dns: {
    fromModule: dnsOptionsFromModule,
    fromCheck: dnsOptionsFromCheck,
    load: () => import('./dns.js').then((m) => m.probeDns),
  },
};

/** One probe, its options built; runs it until `signal` fires. */
export type PreparedProbe = (signal: AbortSignal, log: Logger, env: ProbeEnvironment) => Promise<ProbeResult>;

function prepared<P extends Protocol>(entry: ProberEntry<P>, target: string, options: OptionsOf[P]): PreparedProbe {
  return (signal, log, env) => entry.load().then((probe) => probe(target, options, signal, log, env));
}

/** A scheduled check, its options built once per config load (not per run). */
export function prepareCheck<P extends Protocol>(check: CheckOf[P] & { readonly protocol: P }): PreparedProbe {
  const entry: ProberEntry<P> = PROBERS[check.protocol];
  return prepared(entry, check.target, entry.fromCheck(check));
}

/** A /probe of `target` with a module, under the endpoint's guard. */
export function prepareModuleProbe<P extends Protocol>(
  module: ProbeModule & { readonly prober: P },
  target: string,
  timeoutSeconds: number,
  guard: ProbeGuard,
): PreparedProbe {
  const entry: ProberEntry<P> = PROBERS[module.prober];
  return prepared(entry, target, { ...entry.fromModule(module, timeoutSeconds), guard });
}

/**
 * Runs each configured protocol's `prepare` once, and loads its prober now, so that the first
 * probe's duration does not include loading it.
 */
export function prepareProtocols(protocols: Iterable<Protocol>, env: ProbeEnvironment, log: Logger): void {
  for (const protocol of new Set(protocols)) {
    const entry = PROBERS[protocol];
    entry.prepare?.(env, log);
    (entry.load() as Promise<unknown>).catch((err: unknown) => log.error('loading the prober failed', { prober: protocol, err }));
  }
}
