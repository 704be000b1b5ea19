/**
 * The schema of --web.config.file, exporter-toolkit's web configuration format (the one
 * node_exporter, blackbox_exporter and process-exporter take): TLS, basic auth, security
 * headers and a rate limit. Strict like exporter-toolkit's yaml.UnmarshalStrict: an unknown key
 * or a value of the wrong kind is an error, reported with its line by load.ts.
 *
 * Names of TLS versions, cipher suites and curves are Go's (crypto/tls), as users copy them
 * from exporter-toolkit's documentation (web-names.ts).
 */
import { z } from 'zod';
import { duration } from './schema.js';
import { ALLOWED_HEADERS, CLIENT_AUTH_TYPES, GO_CIPHER_SUITES, GO_CURVES, TLS_VERSIONS } from './web-names.js';

/** A bcrypt hash as Go's bcrypt.Cost accepts it: version 2 with any minor letter ($2a$, $2b$, $2y$), cost 4 to 31. */
const BCRYPT_HASH = /^\$2[a-z]?\$(\d\d)\$[./A-Za-z0-9]{53}$/;

function oneOf(names: readonly string[], what: string) {
  return z.string().superRefine((s, ctx) => {
    if (!names.includes(s)) ctx.addIssue({ code: 'custom', message: `unknown ${what} ${JSON.stringify(s)}; one of ${names.join(', ')}` });
  });
}

const bcryptHash = z.string().superRefine((hash, ctx) => {
  const cost = BCRYPT_HASH.exec(hash)?.[1];
  if (cost === undefined) ctx.addIssue({ code: 'custom', message: 'not a bcrypt hash (make one with: htpasswd -nBC 10 "" | tr -d \':\\n\')' });
  else if (Number(cost) < 4 || Number(cost) > 31) ctx.addIssue({ code: 'custom', message: `bcrypt cost ${Number(cost)} is outside 4 to 31` });
});

const tlsServerConfig = z
  .strictObject({
    cert: z.string().optional(),
    key: z.string().optional(),
    client_ca: z.string().optional(),
    cert_file: z.string().optional(),
    key_file: z.string().optional(),
    client_auth_type: oneOf(CLIENT_AUTH_TYPES, 'client_auth_type').optional(),
    client_ca_file: z.string().optional(),
    client_allowed_sans: z.array(z.string()).nullish(),
    min_version: oneOf(TLS_VERSIONS, 'TLS version').default('TLS12'),
    max_version: oneOf(TLS_VERSIONS, 'TLS version').default('TLS13'),
    cipher_suites: z.array(oneOf(Object.keys(GO_CIPHER_SUITES), 'cipher suite')).nullish(),
    prefer_server_cipher_suites: z.boolean().default(true),
    curve_preferences: z.array(oneOf(Object.keys(GO_CURVES), 'curve')).nullish(),
  })
  .superRefine((tls, ctx) => {
    const both = (inline: 'cert' | 'key' | 'client_ca', file: 'cert_file' | 'key_file' | 'client_ca_file'): void => {
      if (tls[inline] && tls[file]) ctx.addIssue({ code: 'custom', path: [file], message: `give ${inline} or ${file}, not both` });
    };
    both('cert', 'cert_file');
    both('key', 'key_file');
    both('client_ca', 'client_ca_file');
  });

const httpServerConfig = z.strictObject({
  http2: z.boolean().default(true),
  headers: z
    .record(z.string(), z.string())
    .nullish()
    .superRefine((headers, ctx) => {
      for (const [name, value] of Object.entries(headers ?? {})) {
        if (!Object.hasOwn(ALLOWED_HEADERS, name)) {
          ctx.addIssue({ code: 'custom', path: [name], message: `HTTP header ${JSON.stringify(name)} can not be configured; allowed: ${Object.keys(ALLOWED_HEADERS).join(', ')}` });
          continue;
        }
        const allowed = ALLOWED_HEADERS[name];
        if (allowed && !allowed.includes(value)) ctx.addIssue({ code: 'custom', path: [name], message: `invalid value ${JSON.stringify(value)} for ${name}; expected one of ${allowed.join(', ')}` });
      }
    }),
});

const rateLimit = z.strictObject({
  interval: duration.default(0),
  burst: z.number().int().min(0).default(0),
});

export const webConfigSchema = z.strictObject({
  tls_server_config: tlsServerConfig.nullish(),
  http_server_config: httpServerConfig.nullish(),
  basic_auth_users: z.record(z.string(), bcryptHash).nullish(),
  rate_limit: rateLimit.nullish(),
});

export type WebConfigFile = z.output<typeof webConfigSchema>;
export type TlsServerConfigFile = NonNullable<WebConfigFile['tls_server_config']>;
