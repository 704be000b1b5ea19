/**
 * Prober options from the config file: a scheduled `checks:` entry or a blackbox `modules:`
 * entry. Both go through here so that a check and a module with the same settings probe alike.
 */
import type { CheckConfig, ProbeModule } from '../config/schema.js';
import { httpOptionsFromFields } from './http/client-options.js';
import type { HttpProbeOptions, IcmpProbeOptions } from './types.js';

export type HttpCheckConfig = Extract<CheckConfig, { protocol: 'http' }>;
export type IcmpCheckConfig = Extract<CheckConfig, { protocol: 'icmp' }>;
type HttpModule = ProbeModule['http'];
type IcmpModule = ProbeModule['icmp'];

/** A plain GET expecting any 2xx; what a check without options does. */
export const HTTP_DEFAULTS: HttpProbeOptions = {
  method: 'GET',
  headers: {},
  validStatusCodes: [],
  validHttpVersions: [],
  followRedirects: true,
  failIfSsl: false,
  failIfNotSsl: false,
  failIfBodyMatches: [],
  failIfBodyNotMatches: [],
  failIfHeaderMatches: [],
  failIfHeaderNotMatches: [],
  insecureSkipVerify: false,
  // Scheduled checks prefer IPv4 and fall back to IPv6: a sidecar's host rarely lacks IPv4,
  // while blackbox's ip6 default fails on the many hosts without IPv6 (modules keep it).
  preferredIpProtocol: 'ip4',
  ipProtocolFallback: true,
};

export function httpOptionsFromCheck(check: HttpCheckConfig): HttpProbeOptions {
  const options = httpOptionsFromFields(check);
  return {
    ...HTTP_DEFAULTS,
    ...options,
    insecureSkipVerify: options.insecureSkipVerify || check.tls_insecure_skip_verify,
  };
}

export function icmpOptionsFromCheck(check: IcmpCheckConfig): IcmpProbeOptions {
  return {
    preferredIpProtocol: check.ip_protocol,
    ipProtocolFallback: true,
    count: check.count,
    dontFragment: false,
    timeoutSeconds: check.timeout / 1000,
  };
}

export function httpOptionsFromModule(http: HttpModule): HttpProbeOptions {
  return {
    ...httpOptionsFromFields(http),
    preferredIpProtocol: http.preferred_ip_protocol,
    ipProtocolFallback: http.ip_protocol_fallback,
  };
}

/** `timeoutSeconds` is the probe's effective timeout (the /probe handler computes it per request). */
export function icmpOptionsFromModule(icmp: IcmpModule, timeoutSeconds?: number): IcmpProbeOptions {
  return {
    preferredIpProtocol: icmp.preferred_ip_protocol,
    ipProtocolFallback: icmp.ip_protocol_fallback,
    // blackbox sends one echo request per probe.
    count: 1,
    ...(icmp.payload_size !== undefined ? { payloadSize: icmp.payload_size } : {}),
    dontFragment: icmp.dont_fragment,
    ...(icmp.ttl !== undefined ? { ttl: icmp.ttl } : {}),
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
  };
}
