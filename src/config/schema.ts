/**
 * The config file's schema: process-exporter's `process_names`, our scheduled `checks`, and
 * blackbox_exporter's `modules` (the http, icmp, tcp and dns probers), with their defaults.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

import { UserRegex } from '../gocompat/user-regex.js';
import { parseGoDuration } from '../gocompat/duration.js';
import { DNS_CLASSES, DNS_QUERY_TYPES, DNS_RCODES } from './dns-names.js';
import { checkIdentity } from './identity.js';

/** A Go/Prometheus duration ("15s", "1m30s", "500ms"), as milliseconds. */
export const duration = z.string().transform((text, ctx) => {
  try {
    return parseGoDuration(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** A regular expression in Go's RE2 syntax, matched in linear time (see src/regex/). */
const regex = z.string().transform((text, ctx) => {
  try {
    return UserRegex.compile(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

// ---- process_names (process-exporter's format) ----

/** Template variables process-exporter offers in `name`. */
export const NAME_TEMPLATE_FIELDS = ['Comm', 'ExeBase', 'ExeFull', 'Username', 'PID', 'StartTime', 'Cgroups'] as const;

const processNameRule = z
  .strictObject({
    name: z.string().min(1).default('{{.ExeBase}}'),
    comm: z.array(z.string().min(1)).min(1).optional(),
    exe: z.array(z.string().min(1)).min(1).optional(),
    cmdline: z.array(regex).min(1).optional(),
  })
  .superRefine((rule, ctx) => {
    if (!rule.comm && !rule.exe && !rule.cmdline) {
      ctx.addIssue({ code: 'custom', message: 'needs at least one of comm, exe or cmdline' });
    }
    const groups = new Set((rule.cmdline ?? []).flatMap((r) => r.groupNames));
    for (const m of rule.name.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
      const expr = m[1] as string;
      const field = /^\.([A-Za-z]+)$/.exec(expr)?.[1];
      const match = /^\.Matches\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr)?.[1];
      if (match !== undefined) {
        if (!groups.has(match)) {
          ctx.addIssue({ code: 'custom', path: ['name'], message: `{{.Matches.${match}}} needs a cmdline regex with a named group (?P<${match}>...)` });
        }
      } else if (!field || !(NAME_TEMPLATE_FIELDS as readonly string[]).includes(field)) {
        ctx.addIssue({
          code: 'custom',
          path: ['name'],
          message: `unknown template {{${expr}}}; use ${NAME_TEMPLATE_FIELDS.map((f) => `{{.${f}}}`).join(', ')} or {{.Matches.<group>}}`,
        });
      }
    }
  });
export type ProcessNameRule = z.output<typeof processNameRule>;

// ---- checks (scheduled uptime checks) ----

const ipProtocol = z.enum(['ip4', 'ip6']);

const checkCommon = {
  name: z.string().min(1).optional(),
  interval: duration.default(15_000),
  /** Defaults to 80% of the interval; always below it. */
  timeout: duration.optional(),
};

// ---- blackbox's http prober options, shared by http checks and http modules ----

const headerMatch = z.strictObject({ header: z.string().min(1), regexp: regex, allow_missing: z.boolean().default(false) });

const tlsVersion = z.enum(['TLS10', 'TLS11', 'TLS12', 'TLS13'], { error: 'must be TLS10, TLS11, TLS12 or TLS13' });

/** How many of `values` are given (prometheus/common allows at most one of each inline/file pair). */
const given = (...values: unknown[]): number => values.filter((v) => v !== undefined && v !== '').length;

/** prometheus/common's tls_config: files are read at each probe, as blackbox builds its client per probe. */
const tlsConfig = z
  .strictObject({
    ca: z.string().optional(),
    ca_file: z.string().min(1).optional(),
    cert: z.string().optional(),
    cert_file: z.string().min(1).optional(),
    key: z.string().optional(),
    key_file: z.string().min(1).optional(),
    server_name: z.string().optional(),
    insecure_skip_verify: z.boolean().default(false),
    min_version: tlsVersion.optional(),
    max_version: tlsVersion.optional(),
  })
  .superRefine((c, ctx) => {
    const issue = (message: string): void => void ctx.addIssue({ code: 'custom', message });
    if (given(c.ca, c.ca_file) > 1) issue('at most one of ca & ca_file must be configured');
    if (given(c.cert, c.cert_file) > 1) issue('at most one of cert & cert_file must be configured');
    if (given(c.key, c.key_file) > 1) issue('at most one of key & key_file must be configured');
    const cert = given(c.cert, c.cert_file) > 0;
    const key = given(c.key, c.key_file) > 0;
    if (cert && !key) issue('exactly one of key or key_file must be configured when a client certificate is configured');
    if (key && !cert) issue('exactly one of cert or cert_file must be configured when a client key is configured');
    if (c.min_version && c.max_version && c.max_version < c.min_version) {
      issue('tls_config.max_version must be greater than or equal to tls_config.min_version if both are specified');
    }
  });

const basicAuth = z
  .strictObject({
    username: z.string().optional(),
    username_file: z.string().min(1).optional(),
    password: z.string().optional(),
    password_file: z.string().min(1).optional(),
  })
  .superRefine((b, ctx) => {
    if (given(b.username, b.username_file) > 1) ctx.addIssue({ code: 'custom', message: 'at most one of basic_auth username & username_file must be configured' });
    if (given(b.password, b.password_file) > 1) ctx.addIssue({ code: 'custom', message: 'at most one of basic_auth password & password_file must be configured' });
  });

const authorization = z
  .strictObject({
    type: z.string().optional(),
    credentials: z.string().optional(),
    credentials_file: z.string().min(1).optional(),
  })
  .superRefine((a, ctx) => {
    if (given(a.credentials, a.credentials_file) > 1) ctx.addIssue({ code: 'custom', message: 'at most one of authorization credentials & credentials_file must be configured' });
    if ((a.type ?? '').trim().toLowerCase() === 'basic') ctx.addIssue({ code: 'custom', message: 'authorization type cannot be set to "basic", use "basic_auth" instead' });
  });

/** blackbox's body_size_limit (units.Base2Bytes: "512B", "10KB" = 10 KiB, "1MiB", ...) as bytes; 0 or less: no limit. */
const BYTE_UNITS: Readonly<Record<string, number>> = { B: 1, KB: 2 ** 10, KIB: 2 ** 10, MB: 2 ** 20, MIB: 2 ** 20, GB: 2 ** 30, GIB: 2 ** 30, TB: 2 ** 40, TIB: 2 ** 40 };
const byteSize = z.union([z.number().int(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return Math.max(v, 0);
  const m = /^\s*(\d+)\s*([A-Za-z]+)\s*$/.exec(v);
  const unit = m ? BYTE_UNITS[(m[2] as string).toUpperCase()] : undefined;
  if (!m || unit === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid size ${JSON.stringify(v)}; use bytes or a unit: B, KB, KiB, MB, MiB, GB, GiB, TB, TiB` });
    return z.NEVER;
  }
  return Number(m[1]) * unit;
});

const compression = z
  .string()
  .transform((v) => v.toLowerCase())
  .pipe(z.enum(['gzip', 'deflate', 'br', 'identity', ''], { error: 'compression must be gzip, deflate, br or identity' }));

/** Whether an Accept-Encoding header covers `encoding`, as blackbox's isCompressionAcceptEncodingValid decides. */
export function acceptEncodingCovers(encoding: string, acceptEncoding: string): boolean {
  if (encoding === '' || acceptEncoding === '') return true;
  const entries = acceptEncoding.split(',').map((part) => {
    const semi = part.lastIndexOf(';');
    if (semi === -1) return { encoding: part.trim(), quality: 1 };
    const q = Number(part.slice(semi + 1).trim().replace(/^q=/, ''));
    return { encoding: part.slice(0, semi).trim(), quality: Number.isFinite(q) ? Math.round(q * 1000) / 1000 : 0 };
  });
  // A stable sort by falling quality, then the first that names it (or *) decides.
  const first = entries.map((e, i) => ({ ...e, i })).sort((a, b) => b.quality - a.quality || a.i - b.i).find((e) => e.encoding === encoding || e.encoding === '*');
  return first !== undefined && first.quality > 0;
}

/** Fields of prometheus/common's http_client_config that sidecar-exporter refuses, and why. */
const UNSUPPORTED_HTTP_FIELDS: Readonly<Record<string, string>> = {
  proxy_url: 'proxies are not supported by sidecar-exporter: it connects to the target itself (the address --probe.* rules check)',
  proxy_from_environment: 'proxies are not supported by sidecar-exporter',
  no_proxy: 'proxies are not supported by sidecar-exporter',
  proxy_connect_header: 'proxies are not supported by sidecar-exporter',
  skip_resolve_phase_with_proxy: 'proxies are not supported by sidecar-exporter',
  oauth2: 'oauth2 is not supported by sidecar-exporter; use authorization or bearer_token_file with a token you refresh',
  http_headers: 'http_headers is not supported by sidecar-exporter; use headers',
  enable_http3: 'HTTP/3 is not supported by sidecar-exporter',
  fail_if_body_json_matches_cel: 'CEL expressions are not supported by sidecar-exporter; use fail_if_body_matches_regexp',
  fail_if_body_json_not_matches_cel: 'CEL expressions are not supported by sidecar-exporter; use fail_if_body_not_matches_regexp',
};
const unsupportedFields = Object.fromEntries(
  Object.entries(UNSUPPORTED_HTTP_FIELDS).map(([name, why]) => [
    name,
    z.unknown().superRefine((v, ctx) => {
      if (v !== undefined) ctx.addIssue({ code: 'custom', message: why });
    }).optional(),
  ]),
) as Record<keyof typeof UNSUPPORTED_HTTP_FIELDS, z.ZodOptional<z.ZodUnknown>>;

/** blackbox's http prober options, http_client_config flattened in, with its defaults. */
const httpOptionFields = {
  method: z.string().regex(/^[A-Z]+$/, 'must be an HTTP method in capitals, e.g. GET').default('GET'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  body_file: z.string().min(1).optional(),
  /** Empty means any 2xx, as in blackbox_exporter. */
  valid_status_codes: z.array(z.number().int().min(100).max(599)).default([]),
  valid_http_versions: z.array(z.string()).default([]),
  follow_redirects: z.boolean().default(true),
  /** Deprecated in blackbox for follow_redirects; still read. */
  no_follow_redirects: z.boolean().optional(),
  fail_if_ssl: z.boolean().default(false),
  fail_if_not_ssl: z.boolean().default(false),
  fail_if_body_matches_regexp: z.array(regex).default([]),
  fail_if_body_not_matches_regexp: z.array(regex).default([]),
  fail_if_header_matches: z.array(headerMatch).default([]),
  fail_if_header_not_matches: z.array(headerMatch).default([]),
  basic_auth: basicAuth.optional(),
  authorization: authorization.optional(),
  bearer_token: z.string().optional(),
  bearer_token_file: z.string().min(1).optional(),
  tls_config: tlsConfig.default({ insecure_skip_verify: false }),
  /** Accepted for blackbox's files; requests are HTTP/1.1 (see README). */
  enable_http2: z.boolean().default(true),
  compression: compression.default(''),
  body_size_limit: byteSize.default(0),
  ...unsupportedFields,
};

/** prometheus/common's HTTPClientConfig.Validate and blackbox's HTTPProbe checks of one http entry. */
interface HttpOptionsToRefine {
  readonly basic_auth?: unknown;
  readonly authorization?: unknown;
  readonly bearer_token?: string | undefined;
  readonly bearer_token_file?: string | undefined;
  readonly body?: string | undefined;
  readonly body_file?: string | undefined;
  readonly compression: string;
  readonly headers: Readonly<Record<string, string>>;
}

function refineHttpOptions(h: HttpOptionsToRefine, ctx: z.RefinementCtx): void {
  const issue = (message: string): void => void ctx.addIssue({ code: 'custom', message });
  const bearer = given(h.bearer_token, h.bearer_token_file);
  if (bearer > 1) issue('at most one of bearer_token & bearer_token_file must be configured');
  if (h.basic_auth !== undefined && bearer > 0) issue('at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured');
  if (h.authorization !== undefined && bearer > 0) issue('authorization is not compatible with bearer_token & bearer_token_file');
  if (h.authorization !== undefined && h.basic_auth !== undefined) issue('at most one of basic_auth, oauth2 & authorization must be configured');
  if (given(h.body, h.body_file) > 1) issue('setting body and body_file both are not allowed');
  for (const [key, value] of Object.entries(h.headers)) {
    if (key.toLowerCase() === 'accept-encoding' && !acceptEncodingCovers(h.compression, value)) {
      issue(`invalid configuration "${key}: ${value}", "compression: ${h.compression}"`);
    }
  }
}

const httpCheck = z
  .strictObject({
    ...checkCommon,
    protocol: z.literal('http'),
    target: z.string().refine(
      (t) => {
        try {
          const u = new URL(t);
          return u.protocol === 'http:' || u.protocol === 'https:';
        } catch {
          return false;
        }
      },
      { message: 'must be an http:// or https:// URL' },
    ),
    ...httpOptionFields,
    /** The older spelling of tls_config.insecure_skip_verify; either turns verification off. */
    tls_insecure_skip_verify: z.boolean().default(false),
  })
  .superRefine(refineHttpOptions);

const icmpCheck = z.strictObject({
  ...checkCommon,
  protocol: z.literal('icmp'),
  target: z.string().refine((t) => isIP(t) !== 0 || /^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/.test(t), {
    message: 'must be a host name or an IP address',
  }),
  count: z.number().int().min(1).max(10).default(1),
  ip_protocol: ipProtocol.default('ip4'),
});

// ---- tcp and dns probers (blackbox_exporter's tcp: and dns: module sections; checks take the same fields) ----

/** An IP address literal (source_ip_address). */
const ipAddress = z.string().refine((t) => isIP(t) !== 0, { message: 'must be an IP address' });

/** One step of a tcp conversation: wait for a line (or bytes), send a line, upgrade to TLS. */
const queryResponse = z
  .strictObject({
    expect: regex.optional(),
    expect_bytes: z.string().min(1).optional(),
    send: z.string().optional(),
    starttls: z.boolean().default(false),
  })
  .refine((q) => q.expect === undefined || q.expect_bytes === undefined, { message: 'expect and expect_bytes are mutually exclusive' });

function tcpFields(preferred: 'ip4' | 'ip6') {
  return {
    preferred_ip_protocol: ipProtocol.default(preferred),
    ip_protocol_fallback: z.boolean().default(true),
    source_ip_address: ipAddress.optional(),
    query_response: z.array(queryResponse).default([]),
    tls: z.boolean().default(false),
    tls_config: tlsConfig.default({ insecure_skip_verify: false }),
  };
}

const rrValidator = z
  .strictObject({
    fail_if_matches_regexp: z.array(regex).default([]),
    fail_if_all_match_regexp: z.array(regex).default([]),
    fail_if_not_matches_regexp: z.array(regex).default([]),
    fail_if_none_matches_regexp: z.array(regex).default([]),
  })
  .default({ fail_if_matches_regexp: [], fail_if_all_match_regexp: [], fail_if_not_matches_regexp: [], fail_if_none_matches_regexp: [] });

function dnsFields(preferred: 'ip4' | 'ip6') {
  return {
    preferred_ip_protocol: ipProtocol.default(preferred),
    ip_protocol_fallback: z.boolean().default(true),
    source_ip_address: ipAddress.optional(),
    transport_protocol: z.enum(['udp', 'tcp'], { error: 'transport_protocol must be udp or tcp' }).default('udp'),
    query_name: z.string({ error: 'query name must be set for DNS module' }).min(1, 'query name must be set for DNS module'),
    query_type: z
      .string()
      .refine((t) => (DNS_QUERY_TYPES as readonly string[]).includes(t), { error: (issue) => `query type '${String(issue.input)}' is not valid` })
      .default('ANY'),
    query_class: z
      .string()
      .refine((c) => Object.hasOwn(DNS_CLASSES, c), { error: (issue) => `query class '${String(issue.input)}' is not valid` })
      .default('IN'),
    recursion_desired: z.boolean().default(true),
    /** Empty: NOERROR only, as in blackbox_exporter. */
    valid_rcodes: z
      .array(z.string().refine((r) => Object.hasOwn(DNS_RCODES, r), { error: (issue) => `rcode '${String(issue.input)}' is not valid (${Object.keys(DNS_RCODES).join(', ')})` }))
      .default([]),
    validate_answer_rrs: rrValidator,
    validate_authority_rrs: rrValidator,
    validate_additional_rrs: rrValidator,
  };
}

/** "host:port", the host a name or an IP literal ([...] for IPv6), as Go's SplitHostPort takes it. */
const hostPort = z.string().refine((t) => /^(\[[0-9A-Fa-f:.]+(%[^\]]+)?\]|[^:[\]\s]+):\d{1,5}$/.test(t), { message: 'must be host:port (an IPv6 address in brackets)' });
/** A DNS server: host, or host:port (53 by default). */
const dnsServer = z.string().refine((t) => isIP(t) !== 0 || /^(\[[0-9A-Fa-f:.]+\]|[^:[\]\s]+)(:\d{1,5})?$/.test(t), {
  message: 'must be a host, host:port or an IP address (an IPv6 address with a port in brackets)',
});

const tcpCheck = z.strictObject({ ...checkCommon, protocol: z.literal('tcp'), target: hostPort, ...tcpFields('ip4') });
const dnsCheck = z.strictObject({ ...checkCommon, protocol: z.literal('dns'), target: dnsServer, ...dnsFields('ip4') });

const CHECK_FIELDS = new Set([...Object.keys(httpCheck.shape), ...Object.keys(icmpCheck.shape), ...Object.keys(tcpCheck.shape), ...Object.keys(dnsCheck.shape)]);
const CHECK_PROTOCOLS: readonly unknown[] = ['http', 'icmp', 'tcp', 'dns'];

/**
 * Without a valid protocol the union cannot tell which fields belong, so a misspelt `protocol`
 * would only show up as "protocol must be http, icmp, tcp or dns"; fields no check has are named first,
 * as unknown fields everywhere else are (with their line).
 */
const checkFields = z.looseObject({}).superRefine((entry, ctx) => {
  if (CHECK_PROTOCOLS.includes(entry['protocol'])) return;
  const unknown = Object.keys(entry).filter((key) => !CHECK_FIELDS.has(key));
  if (unknown.length > 0) ctx.addIssue({ code: 'unrecognized_keys', keys: unknown, input: entry, continue: true });
});

const check = checkFields.pipe(
  z.discriminatedUnion('protocol', [httpCheck, icmpCheck, tcpCheck, dnsCheck], {
    error: (issue) => (issue.code === 'invalid_union' ? 'protocol must be http, icmp, tcp or dns' : undefined),
  }),
);
export type CheckConfig = z.output<typeof check> & { timeout: number };


// ---- modules (blackbox_exporter's format, http and icmp probers) ----

const httpProbe = z
  .strictObject({
    ...httpOptionFields,
    preferred_ip_protocol: ipProtocol.default('ip6'),
    ip_protocol_fallback: z.boolean().default(true),
  })
  .superRefine(refineHttpOptions);

const icmpProbe = z.strictObject({
  preferred_ip_protocol: ipProtocol.default('ip6'),
  ip_protocol_fallback: z.boolean().default(true),
  payload_size: z.number().int().min(0).max(65000).optional(),
  dont_fragment: z.boolean().default(false),
  ttl: z.number().int().min(1).max(255).optional(),
});

const tcpProbe = z.strictObject(tcpFields('ip6'));
const dnsProbe = z.strictObject(dnsFields('ip6'));

const probeModule = z
  .strictObject({
    prober: z.enum(['http', 'icmp', 'tcp', 'dns'], { error: 'prober must be http, icmp, tcp or dns (grpc, unix and websocket are not supported by sidecar-exporter)' }),
    timeout: duration.default(0),
    http: httpProbe.default(httpProbe.parse({})),
    icmp: icmpProbe.default(icmpProbe.parse({})),
    tcp: tcpProbe.default(tcpProbe.parse({})),
    /** Required by a dns module (its query_name); blackbox's error when it is missing. */
    dns: dnsProbe.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.prober === 'dns' && m.dns === undefined) ctx.addIssue({ code: 'custom', path: ['dns'], message: 'query name must be set for DNS module' });
  });
export type ProbeModule = z.output<typeof probeModule>;

// ---- the whole file ----

export const configSchema = z
  .strictObject({
    process_names: z.array(processNameRule).default([]),
    checks: z.array(check).default([]),
    modules: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'module names are letters, digits, _ . -'), probeModule).default({}),
  })
  .transform((config, ctx) => {
    const seen = new Set<string>();
    const checks = config.checks.map((c, i) => {
      const timeout = c.timeout ?? Math.floor(c.interval * 0.8);
      if (c.interval <= 0) ctx.addIssue({ code: 'custom', path: ['checks', i, 'interval'], message: 'must be above 0' });
      if (timeout <= 0 || timeout >= c.interval) {
        ctx.addIssue({ code: 'custom', path: ['checks', i, 'timeout'], message: `must be above 0 and below the interval (${c.interval}ms)` });
      }
      const key = checkIdentity(c);
      if (seen.has(key)) {
        ctx.addIssue({ code: 'custom', path: ['checks', i], message: `repeats the check of ${c.protocol} ${c.target}${c.name ? ` named ${c.name}` : ''}; give it another name` });
      }
      seen.add(key);
      return { ...c, timeout };
    });
    return { ...config, checks: checks as CheckConfig[] };
  });

export type ExporterFileConfig = z.output<typeof configSchema>;
