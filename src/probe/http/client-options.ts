/**
 * blackbox's http prober options of a config entry (a `modules:` http block or an http check;
 * both have the same fields) as prober options: credentials and TLS material stay file names,
 * read at each probe (material.ts), as blackbox builds its client per probe.
 */
import { secret, tlsMaterialSources } from '../tls-material.js';
import type { HeaderMatch, HttpClientOptions, HttpProbeOptions } from '../types.js';
import type { ProbeModule } from '../../config/schema.js';

/**
 * The fields an http check and an http module share (config/schema.ts's httpOptionFields, as
 * parsed): an http module's block without the IP protocol choice, which the two default differently.
 */
export type HttpOptionFields = Omit<ProbeModule['http'], 'preferred_ip_protocol' | 'ip_protocol_fallback'>;
type HeaderMatchField = HttpOptionFields['fail_if_header_matches'][number];

function headerMatches(list: readonly HeaderMatchField[]): HeaderMatch[] {
  return list.map((m) => ({ header: m.header, regexp: m.regexp, allowMissing: m.allow_missing }));
}

function clientOptions(h: HttpOptionFields): HttpClientOptions {
  const out: { -readonly [K in keyof HttpClientOptions]: HttpClientOptions[K] } = {};
  if (h.basic_auth) {
    const password = secret(h.basic_auth.password, h.basic_auth.password_file);
    out.basicAuth = { username: secret(h.basic_auth.username, h.basic_auth.username_file) ?? { value: '' }, ...(password ? { password } : {}) };
  }
  const bearer = secret(h.bearer_token, h.bearer_token_file);
  if (h.authorization) {
    const credentials = secret(h.authorization.credentials, h.authorization.credentials_file);
    out.authorization = { type: h.authorization.type?.trim() || 'Bearer', ...(credentials ? { credentials } : {}) };
  } else if (bearer) {
    out.authorization = { type: 'Bearer', credentials: bearer };
  }
  const tls = tlsMaterialSources(h.tls_config);
  if (tls) out.tls = tls;
  if (h.compression !== '') out.compression = h.compression as NonNullable<HttpClientOptions['compression']>;
  if (h.body_size_limit > 0) out.bodySizeLimit = h.body_size_limit;
  if (h.body_file !== undefined) out.bodyFile = h.body_file;
  return out;
}

/** Everything but the IP protocol choice, which checks and modules default differently. */
export function httpOptionsFromFields(h: HttpOptionFields): Omit<HttpProbeOptions, 'preferredIpProtocol' | 'ipProtocolFallback'> {
  return {
    method: h.method,
    headers: { ...h.headers },
    ...(h.body !== undefined && h.body !== '' ? { body: h.body } : {}),
    validStatusCodes: [...h.valid_status_codes],
    validHttpVersions: [...h.valid_http_versions],
    // blackbox: the deprecated no_follow_redirects, when given, wins.
    followRedirects: h.no_follow_redirects !== undefined ? !h.no_follow_redirects : h.follow_redirects,
    failIfSsl: h.fail_if_ssl,
    failIfNotSsl: h.fail_if_not_ssl,
    failIfBodyMatches: [...h.fail_if_body_matches_regexp],
    failIfBodyNotMatches: [...h.fail_if_body_not_matches_regexp],
    failIfHeaderMatches: headerMatches(h.fail_if_header_matches),
    failIfHeaderNotMatches: headerMatches(h.fail_if_header_not_matches),
    insecureSkipVerify: h.tls_config.insecure_skip_verify,
    ...(h.tls_config.server_name ? { serverName: h.tls_config.server_name } : {}),
    ...clientOptions(h),
  };
}
