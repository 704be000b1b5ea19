/**
 * A dns module's or check's fields as the dns prober's options: apart from the prober, so that
 * configs are read without loading it (and dns-packet) until a dns probe runs.
 */
import type { CheckConfig, ProbeModule } from '../config/schema.js';
import type { DNS_CLASSES } from '../config/dns-names.js';
import type { RrValidator } from './dns-records.js';
import type { IpProtocol, ProbeGuard } from './types.js';

export type DnsCheckConfig = Extract<CheckConfig, { protocol: 'dns' }>;
type DnsModule = NonNullable<ProbeModule['dns']>;

export interface DnsProbeOptions {
  readonly preferredIpProtocol: IpProtocol;
  readonly ipProtocolFallback: boolean;
  readonly sourceIpAddress?: string;
  readonly transport: 'udp' | 'tcp';
  readonly queryName: string;
  readonly queryType: string;
  readonly queryClass: keyof typeof DNS_CLASSES;
  readonly recursionDesired: boolean;
  /** Empty: NOERROR only. */
  readonly validRcodes: readonly string[];
  readonly validateAnswer: RrValidator;
  readonly validateAuthority: RrValidator;
  readonly validateAdditional: RrValidator;
  readonly guard?: ProbeGuard;
}

type Validator = DnsModule['validate_answer_rrs'];

function validator(v: Validator): RrValidator {
  return {
    failIfMatches: v.fail_if_matches_regexp,
    failIfAllMatch: v.fail_if_all_match_regexp,
    failIfNotMatches: v.fail_if_not_matches_regexp,
    failIfNoneMatches: v.fail_if_none_matches_regexp,
  };
}

function dnsOptions(f: DnsModule): DnsProbeOptions {
  return {
    preferredIpProtocol: f.preferred_ip_protocol,
    ipProtocolFallback: f.ip_protocol_fallback,
    ...(f.source_ip_address !== undefined ? { sourceIpAddress: f.source_ip_address } : {}),
    transport: f.transport_protocol,
    queryName: f.query_name,
    queryType: f.query_type,
    queryClass: f.query_class as keyof typeof DNS_CLASSES,
    recursionDesired: f.recursion_desired,
    validRcodes: [...f.valid_rcodes],
    validateAnswer: validator(f.validate_answer_rrs),
    validateAuthority: validator(f.validate_authority_rrs),
    validateAdditional: validator(f.validate_additional_rrs),
  };
}

export function dnsOptionsFromModule(module: ProbeModule): DnsProbeOptions {
  // The schema refuses a dns module without its dns section.
  if (!module.dns) throw new Error('query name must be set for DNS module');
  return dnsOptions(module.dns);
}
export const dnsOptionsFromCheck = (check: DnsCheckConfig): DnsProbeOptions => dnsOptions(check);
