/**
 * The config file's schema: process-exporter's `process_names`, our scheduled `checks`, and
 * blackbox_exporter's `modules` (the http and icmp probers), with their defaults.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

import { UserRegex } from '../gocompat/user-regex.js';
import { parseGoDuration } from '../gocompat/duration.js';

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

const httpCheck = z.strictObject({
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
  method: z.string().regex(/^[A-Z]+$/, 'must be an HTTP method in capitals, e.g. GET').default('GET'),
  headers: z.record(z.string(), z.string()).default({}),
  /** Empty means any 2xx, as in blackbox_exporter. */
  valid_status_codes: z.array(z.number().int().min(100).max(599)).default([]),
  follow_redirects: z.boolean().default(true),
  fail_if_body_matches_regexp: z.array(regex).default([]),
  fail_if_body_not_matches_regexp: z.array(regex).default([]),
  tls_insecure_skip_verify: z.boolean().default(false),
});

const icmpCheck = z.strictObject({
  ...checkCommon,
  protocol: z.literal('icmp'),
  target: z.string().refine((t) => isIP(t) !== 0 || /^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/.test(t), {
    message: 'must be a host name or an IP address',
  }),
  count: z.number().int().min(1).max(10).default(1),
  ip_protocol: ipProtocol.default('ip4'),
});

const CHECK_FIELDS = new Set([...Object.keys(httpCheck.shape), ...Object.keys(icmpCheck.shape)]);

/**
 * Without a valid protocol the union cannot tell which fields belong, so a misspelt `protocol`
 * would only show up as "protocol must be http or icmp"; fields no check has are named first,
 * as unknown fields everywhere else are (with their line).
 */
const checkFields = z.looseObject({}).superRefine((entry, ctx) => {
  if (entry['protocol'] === 'http' || entry['protocol'] === 'icmp') return;
  const unknown = Object.keys(entry).filter((key) => !CHECK_FIELDS.has(key));
  if (unknown.length > 0) ctx.addIssue({ code: 'unrecognized_keys', keys: unknown, input: entry, continue: true });
});

const check = checkFields.pipe(
  z.discriminatedUnion('protocol', [httpCheck, icmpCheck], {
    error: (issue) => (issue.code === 'invalid_union' ? 'protocol must be http or icmp' : undefined),
  }),
);
export type CheckConfig = z.output<typeof check> & { timeout: number };

/**
 * What makes two entries the same check: its label values (protocol, target, name). The schema
 * refuses a repeat, and the uptime scheduler keeps a check's counters across reloads by it.
 */
export function checkIdentity(c: Pick<CheckConfig, 'protocol' | 'target' | 'name'>): string {
  return `${c.protocol}\u0000${c.target}\u0000${c.name ?? ''}`;
}

// ---- modules (blackbox_exporter's format, http and icmp probers) ----

const headerMatch = z.strictObject({ header: z.string().min(1), regexp: regex, allow_missing: z.boolean().default(false) });

const httpProbe = z.strictObject({
  valid_status_codes: z.array(z.number().int().min(100).max(599)).default([]),
  valid_http_versions: z.array(z.string()).default([]),
  method: z.string().regex(/^[A-Z]+$/).default('GET'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  follow_redirects: z.boolean().default(true),
  fail_if_ssl: z.boolean().default(false),
  fail_if_not_ssl: z.boolean().default(false),
  fail_if_body_matches_regexp: z.array(regex).default([]),
  fail_if_body_not_matches_regexp: z.array(regex).default([]),
  fail_if_header_matches: z.array(headerMatch).default([]),
  fail_if_header_not_matches: z.array(headerMatch).default([]),
  tls_config: z.strictObject({ insecure_skip_verify: z.boolean().default(false), server_name: z.string().optional() }).default({ insecure_skip_verify: false }),
  preferred_ip_protocol: ipProtocol.default('ip6'),
  ip_protocol_fallback: z.boolean().default(true),
});

const icmpProbe = z.strictObject({
  preferred_ip_protocol: ipProtocol.default('ip6'),
  ip_protocol_fallback: z.boolean().default(true),
  payload_size: z.number().int().min(0).max(65000).optional(),
  dont_fragment: z.boolean().default(false),
  ttl: z.number().int().min(1).max(255).optional(),
});

const probeModule = z
  .strictObject({
    prober: z.enum(['http', 'icmp'], { error: 'prober must be http or icmp (tcp, dns and grpc are not supported by sidecar-exporter)' }),
    timeout: duration.default(0),
    http: httpProbe.default(httpProbe.parse({})),
    icmp: icmpProbe.default(icmpProbe.parse({})),
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
