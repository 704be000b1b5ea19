/**
 * A ProbeResult as blackbox_exporter's /probe answers it: the probe_* families, with the
 * names, HELP strings and types of blackbox_exporter 0.23 (plus probe_timeout_seconds, which
 * later versions add).
 */
import { desc, type MetricDesc, type MetricFamily } from '../exposition/model.js';
import { ipAddrHash } from './resolve.js';
import type { ProbeResult } from './types.js';

export const PROBE_DESCS = {
  success: desc('probe_success', 'Displays whether or not the probe was a success', 'gauge'),
  duration: desc('probe_duration_seconds', 'Returns how long the probe took to complete in seconds', 'gauge'),
  timeout: desc('probe_timeout_seconds', 'Returns how long the probe timeout is in seconds', 'gauge'),
  dnsLookup: desc('probe_dns_lookup_time_seconds', 'Returns the time taken for probe dns lookup in seconds', 'gauge'),
  ipProtocol: desc('probe_ip_protocol', 'Specifies whether probe ip protocol is IP4 or IP6', 'gauge'),
  ipAddrHash: desc('probe_ip_addr_hash', "Specifies the hash of IP address. It's useful to detect if the IP address changes.", 'gauge'),
  httpDuration: desc('probe_http_duration_seconds', 'Duration of http request by phase, summed over all redirects', 'gauge', ['phase']),
  httpContentLength: desc('probe_http_content_length', 'Length of http content response', 'gauge'),
  httpUncompressedLength: desc('probe_http_uncompressed_body_length', 'Length of uncompressed response body', 'gauge'),
  httpRedirects: desc('probe_http_redirects', 'The number of redirects', 'gauge'),
  httpSsl: desc('probe_http_ssl', 'Indicates if SSL was used for the final redirect', 'gauge'),
  httpStatusCode: desc('probe_http_status_code', 'Response HTTP status code', 'gauge'),
  httpVersion: desc('probe_http_version', 'Returns the version of HTTP of the probe response', 'gauge'),
  failedDueToRegex: desc('probe_failed_due_to_regex', 'Indicates if probe failed due to regex', 'gauge'),
  sslEarliestExpiry: desc('probe_ssl_earliest_cert_expiry', 'Returns last SSL chain expiry in unixtime', 'gauge'),
  sslLastChainExpiry: desc('probe_ssl_last_chain_expiry_timestamp_seconds', 'Returns last SSL chain expiry in timestamp', 'gauge'),
  tlsVersion: desc('probe_tls_version_info', 'Returns the TLS version used or NaN when unknown', 'gauge', ['version']),
  icmpDuration: desc('probe_icmp_duration_seconds', 'Duration of icmp request by phase', 'gauge', ['phase']),
  failedDueToBytes: desc('probe_failed_due_to_bytes', 'Indicates if probe failed due to bytes', 'gauge'),
  dnsDuration: desc('probe_dns_duration_seconds', 'Duration of DNS request by phase', 'gauge', ['phase']),
  dnsAnswerRrs: desc('probe_dns_answer_rrs', 'Returns number of entries in the answer resource record list', 'gauge'),
  dnsAuthorityRrs: desc('probe_dns_authority_rrs', 'Returns number of entries in the authority resource record list', 'gauge'),
  dnsAdditionalRrs: desc('probe_dns_additional_rrs', 'Returns number of entries in the additional resource record list', 'gauge'),
  dnsQuerySucceeded: desc('probe_dns_query_succeeded', 'Displays whether or not the query was executed successfully', 'gauge'),
  dnsSerial: desc('probe_dns_serial', 'Returns the serial number of the zone', 'gauge'),
  icmpHopLimit: desc('probe_icmp_reply_hop_limit', 'Replied packet hop limit (TTL for ipv4)', 'gauge'),
} as const;

function gauge(d: MetricDesc, value: number, labels: Record<string, string> = {}): MetricFamily {
  return { desc: d, samples: [{ suffix: '', labels, value }] };
}

function byPhase(d: MetricDesc, phases: Readonly<Record<string, number>>): MetricFamily {
  return { desc: d, samples: Object.entries(phases).map(([phase, value]) => ({ suffix: '', labels: { phase }, value })) };
}

/** The families of one /probe answer; `timeoutSeconds` is the effective probe timeout. */
export function probeMetricFamilies(result: ProbeResult, timeoutSeconds?: number): MetricFamily[] {
  const d = PROBE_DESCS;
  const out: MetricFamily[] = [
    gauge(d.success, result.success ? 1 : 0),
    gauge(d.duration, result.durationSeconds),
    gauge(d.dnsLookup, result.dnsLookupSeconds),
    gauge(d.ipProtocol, result.ipProtocol),
    gauge(d.ipAddrHash, result.ipAddress !== undefined ? ipAddrHash(result.ipAddress) : 0),
  ];
  if (timeoutSeconds !== undefined) out.push(gauge(d.timeout, timeoutSeconds));
  const { http, icmp, tcp, dns } = result;
  if (http) {
    out.push(
      byPhase(d.httpDuration, http.beforeRequest ? { resolve: http.phases.resolve } : http.phases),
      gauge(d.httpContentLength, http.contentLength),
      gauge(d.httpUncompressedLength, http.uncompressedBodyLength),
      gauge(d.httpRedirects, http.redirects),
      gauge(d.httpSsl, http.ssl ? 1 : 0),
      gauge(d.httpStatusCode, http.statusCode),
      gauge(d.httpVersion, http.httpVersion),
      gauge(d.failedDueToRegex, http.failedDueToRegex ? 1 : 0),
    );
    if (http.ssl && http.certExpiryTimestamp !== undefined) out.push(gauge(d.sslEarliestExpiry, http.certExpiryTimestamp));
    if (http.ssl && http.lastChainExpiryTimestamp !== undefined) out.push(gauge(d.sslLastChainExpiry, http.lastChainExpiryTimestamp));
    if (http.ssl && http.tlsVersion !== undefined) out.push(gauge(d.tlsVersion, 1, { version: http.tlsVersion }));
  }
  if (tcp) {
    out.push(gauge(d.failedDueToRegex, tcp.failedDueToRegex ? 1 : 0), gauge(d.failedDueToBytes, tcp.failedDueToBytes ? 1 : 0));
    if (tcp.tls) {
      out.push(gauge(d.sslEarliestExpiry, tcp.tls.earliestExpiry), gauge(d.sslLastChainExpiry, tcp.tls.lastChainExpiry), gauge(d.tlsVersion, 1, { version: tcp.tls.version }));
    }
  }
  if (dns) {
    out.push(
      byPhase(d.dnsDuration, dns.phases),
      gauge(d.dnsAnswerRrs, dns.answerRrs),
      gauge(d.dnsAuthorityRrs, dns.authorityRrs),
      gauge(d.dnsAdditionalRrs, dns.additionalRrs),
      gauge(d.dnsQuerySucceeded, dns.querySucceeded ? 1 : 0),
    );
    if (dns.soaSerial !== undefined) out.push(gauge(d.dnsSerial, dns.soaSerial));
  }
  if (icmp) {
    out.push(byPhase(d.icmpDuration, icmp.phases));
    if (icmp.replyHopLimit !== undefined) out.push(gauge(d.icmpHopLimit, icmp.replyHopLimit));
  }
  return out;
}
