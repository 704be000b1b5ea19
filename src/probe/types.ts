/**
 * The prober contract (blackbox_exporter's prober/ shape: one file per protocol, one
 * signature; the table of them is probers.ts). The same probers serve the scheduled uptime
 * checks and the /probe endpoint; each caller turns a ProbeResult into its own metrics.
 */
import type { Logger } from '../lib/log.js';
import type { UserRegex } from '../gocompat/user-regex.js';
import type { ProbeEnvironment } from './environment.js';
import type { TlsMaterialSources } from './tls-material.js';

/** Why a check failed: a closed set, so `uptime_check_failures_total{reason}` stays small. */
export const FAILURE_REASONS = ['timeout', 'dns', 'connect', 'tls', 'status_code', 'body', 'icmp_no_reply', 'expect', 'dns_answer', 'permission', 'error'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export type IpProtocol = 'ip4' | 'ip6';

export interface HeaderMatch {
  readonly header: string;
  readonly regexp: UserRegex;
  readonly allowMissing: boolean;
}

/**
 * Where a probe may go (the /probe endpoint's --probe.* rules; scheduled checks have none). Each
 * method returns why it refuses, or undefined; a refusal fails the probe with reason 'permission'.
 */
export interface ProbeGuard {
  /** Every URL an http probe requests: the target and each redirect. */
  refuseUrl(url: URL): string | undefined;
  /** Every address a probe connects to (or pings), after resolution. */
  refuseAddress(address: string): string | undefined;
}

/** A credential or PEM text given inline, or the file it is read from (at each probe, as blackbox does). */
export type SecretSource = { readonly value: string } | { readonly file: string };

/** prometheus/common's `tls_config` names. */
export type TlsVersionName = 'TLS10' | 'TLS11' | 'TLS12' | 'TLS13';

/** What blackbox's http_client_config adds to a request: credentials and TLS material. */
export interface HttpClientOptions {
  /** basic_auth; the username defaults to "". */
  readonly basicAuth?: { readonly username: SecretSource; readonly password?: SecretSource };
  /** authorization, or bearer_token(_file) as type Bearer. */
  readonly authorization?: { readonly type: string; readonly credentials?: SecretSource };
  readonly tls?: TlsMaterialSources;
  /** The body is decoded this way whatever Content-Encoding says, as blackbox does. */
  readonly compression?: 'gzip' | 'deflate' | 'br' | 'identity';
  /** Bytes after decompression; beyond it the probe fails. */
  readonly bodySizeLimit?: number;
  /** body_file: the request body, read at each probe. */
  readonly bodyFile?: string;
}

/** What an HTTP probe does; built from a `checks:` entry or a blackbox `modules:` entry. */
export interface HttpProbeOptions extends HttpClientOptions {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Empty: any 2xx. */
  readonly validStatusCodes: readonly number[];
  /** Empty: any version. Values as blackbox writes them: "HTTP/1.1", "HTTP/2.0". */
  readonly validHttpVersions: readonly string[];
  readonly followRedirects: boolean;
  readonly failIfSsl: boolean;
  readonly failIfNotSsl: boolean;
  readonly failIfBodyMatches: readonly UserRegex[];
  readonly failIfBodyNotMatches: readonly UserRegex[];
  readonly failIfHeaderMatches: readonly HeaderMatch[];
  readonly failIfHeaderNotMatches: readonly HeaderMatch[];
  readonly insecureSkipVerify: boolean;
  readonly serverName?: string;
  readonly preferredIpProtocol: IpProtocol;
  readonly ipProtocolFallback: boolean;
  readonly guard?: ProbeGuard;
}

export interface IcmpProbeOptions {
  readonly preferredIpProtocol: IpProtocol;
  readonly ipProtocolFallback: boolean;
  /** Echo requests sent; success needs at least one reply. */
  readonly count: number;
  readonly payloadSize?: number;
  readonly dontFragment: boolean;
  readonly ttl?: number;
  /**
   * The time budget in seconds, used for ping's own reply wait (-W) so that it exits by
   * itself near the deadline; the signal still bounds the probe. Default 10 (iputils' own).
   */
  readonly timeoutSeconds?: number;
  /** Only refuseAddress applies. */
  readonly guard?: ProbeGuard;
}

export interface HttpDetails {
  /** 0 when no response arrived. */
  readonly statusCode: number;
  /** Seconds, summed over redirects, as blackbox's probe_http_duration_seconds{phase}. */
  readonly phases: Readonly<Record<'resolve' | 'connect' | 'tls' | 'processing' | 'transfer', number>>;
  /** -1 when the response had no Content-Length. */
  readonly contentLength: number;
  readonly uncompressedBodyLength: number;
  readonly redirects: number;
  /** Whether the final response came over TLS. */
  readonly ssl: boolean;
  /** 1.0, 1.1, 2.0; 0 when no response. */
  readonly httpVersion: number;
  /** Earliest NotAfter of the presented chain, Unix seconds; only over TLS. */
  readonly certExpiryTimestamp?: number;
  readonly failedDueToRegex: boolean;
  /** As blackbox's probe_tls_version_info label ("TLS 1.3"); only over TLS. */
  readonly tlsVersion?: string;
  /** Earliest NotAfter of the verified chain, Unix seconds; only over TLS when verified. */
  readonly lastChainExpiryTimestamp?: number;
  /** The probe ended before its first request (resolution, or the module's files): blackbox then reports the resolve phase only. */
  readonly beforeRequest?: boolean;
}

export interface IcmpDetails {
  /** Seconds, as blackbox's probe_icmp_duration_seconds{phase}; all 0 when not reached. */
  readonly phases: Readonly<Record<'resolve' | 'setup' | 'rtt', number>>;
  /** Fraction of echo requests without a reply, 0..1. */
  readonly packetLoss: number;
  /** TTL (IPv4) or hop limit (IPv6) of the first reply, when ping printed it. */
  readonly replyHopLimit?: number;
}

/** What a tcp probe reports (blackbox's tcp prober series). */
export interface TcpDetails {
  /** probe_failed_due_to_regex: an expect regex met the end of the stream without matching. */
  readonly failedDueToRegex: boolean;
  /** probe_failed_due_to_bytes: expect_bytes read other bytes. */
  readonly failedDueToBytes: boolean;
  /** Set once a TLS handshake (tls: true, or a starttls step) succeeded. */
  readonly tls?: TcpTlsDetails;
}

export interface TcpTlsDetails {
  /** As blackbox's probe_tls_version_info label ("TLS 1.3"). */
  readonly version: string;
  /** Earliest NotAfter of the certificates the server presented, Unix seconds. */
  readonly earliestExpiry: number;
  /** Earliest NotAfter of the verified chain, Unix seconds; Go's zero time when not verified. */
  readonly lastChainExpiry: number;
}

/** What a dns probe reports (blackbox's probe_dns_* series). */
export interface DnsDetails {
  /** Seconds, as probe_dns_duration_seconds{phase}. */
  readonly phases: Readonly<Record<'resolve' | 'connect' | 'request', number>>;
  /** Whether an answer arrived (probe_dns_query_succeeded); the counts are 0 otherwise. */
  readonly querySucceeded: boolean;
  readonly answerRrs: number;
  readonly authorityRrs: number;
  readonly additionalRrs: number;
  /** Only for SOA queries that got an answer: the zone's serial (0 when the answer has no SOA). */
  readonly soaSerial?: number;
}

export interface ProbeResult {
  readonly success: boolean;
  /** Set exactly when success is false. */
  readonly reason?: FailureReason;
  /** Wall time of the whole probe. */
  readonly durationSeconds: number;
  /** 4 or 6; 0 when resolution failed. */
  readonly ipProtocol: 0 | 4 | 6;
  readonly dnsLookupSeconds: number;
  /** The address probed, after resolution (blackbox hashes it into probe_ip_addr_hash). */
  readonly ipAddress?: string;
  readonly http?: HttpDetails;
  readonly icmp?: IcmpDetails;
  readonly tcp?: TcpDetails;
  readonly dns?: DnsDetails;
}

/**
 * Probes `target` once. Resolves (never rejects) with the outcome; when `signal` aborts (the
 * deadline), the probe stops its work (aborts the request, kills the ping child) and resolves
 * with reason 'timeout'. Log lines go to `log` (the /probe?debug=true output shows them);
 * `env` is what the probes of the process share (DNS lookup slots, the ping detection).
 */
export type Prober<Options> = (target: string, options: Options, signal: AbortSignal, log: Logger, env: ProbeEnvironment) => Promise<ProbeResult>;
