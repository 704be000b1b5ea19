import { ParseError } from '../lib/parse-error.js';


/**
 * os-release(5) in the env-file dialect node_exporter reads it with (hashicorp/go-envparse
 * v0.1.0), so values with quotes, escapes and comments come out as node_exporter shows them:
 * - blank lines and lines starting with `#` are skipped; every other line needs `KEY=value`;
 * - keys are `[A-Za-z_][A-Za-z0-9_./]*`, an `export ` prefix is dropped;
 * - unquoted text is literal (no escapes), ends at `#` (a comment; whitespace before it is
 *   dropped) and is trimmed;
 * - `'…'` is literal; `"…"` takes JSON escapes (`\" \\ \/ \b \f \n \r \t \uXXXX`);
 * - quoted and unquoted parts may be mixed, control characters are an error;
 * - a repeated key keeps its last value.
 */
export function parseEnvFile(text: string): Map<string, string> {
  const env = new Map<string, string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    try {
      const entry = parseEnvLine(raw);
      if (entry) env.set(entry[0], entry[1]);
    } catch (err) {
      throw new ParseError(`line ${i + 1}: ${(err as Error).message}`);
    }
  });
  return env;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_./]*$/;
const EXPORT = 'export ';
// What Go's bytes.TrimSpace trims (unicode.IsSpace): JS's \s plus U+0085, minus U+FEFF.
const GO_SPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const SPACE = new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, 'g');

function parseEnvLine(raw: string): [string, string] | undefined {
  const line = raw.replace(SPACE, '');
  if (line === '' || line.startsWith('#')) return undefined;
  const eq = line.indexOf('=');
  if (eq < 0) throw new Error('missing =');
  let key = line.slice(0, eq).replace(SPACE, '');
  if (key.length > EXPORT.length && key.startsWith(EXPORT)) key = key.slice(EXPORT.length);
  if (key === '') throw new Error('empty key');
  if (!KEY.test(key)) throw new Error(`invalid key ${JSON.stringify(key)}`);
  return [key, parseEnvValue(line.slice(eq + 1).replace(SPACE, ''))];
}

function parseEnvValue(value: string): string {
  let out = '';
  // Length of `out` up to its last character that is not unquoted whitespace.
  let significant = 0;
  let mode: 'plain' | 'double' | 'single' = 'plain';
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c < ' ') throw new Error(`${JSON.stringify(c)} is an invalid value character`);
    if (mode === 'single') {
      if (c === "'") mode = 'plain';
      else significant = (out += c).length;
    } else if (mode === 'double') {
      if (c === '"') mode = 'plain';
      else if (c !== '\\') significant = (out += c).length;
      else {
        const [decoded, used] = decodeEscape(value, i + 1);
        significant = (out += decoded).length;
        i += used;
      }
    } else if (c === '"') mode = 'double';
    else if (c === "'") mode = 'single';
    else if (c === '#') return out.slice(0, significant);
    else if (c === ' ') out += c;
    else significant = (out += c).length;
  }
  if (mode === 'double') throw new Error('unmatched "');
  if (mode === 'single') throw new Error("unmatched '");
  return out;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** The escape starting after a backslash at `at`; returns the text and how many characters it used. */
function decodeEscape(value: string, at: number): [string, number] {
  const c = value[at];
  if (c === undefined) throw new Error('incomplete escape sequence');
  const simple = SIMPLE_ESCAPES[c];
  if (simple !== undefined) return [simple, 1];
  if (c !== 'u') throw new Error(`invalid escape sequence: ${JSON.stringify(c)}`);
  const unit = hex4(value, at + 1);
  if (unit < 0xd800 || unit > 0xdfff) return [String.fromCharCode(unit), 5];
  // A surrogate must be followed by a second \uXXXX; a pair that is not high+low decodes to U+FFFD.
  if (value.slice(at + 5, at + 7) !== '\\u') throw new Error('incomplete Unicode surrogate pair');
  const low = hex4(value, at + 7);
  const valid = unit <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
  return [valid ? String.fromCharCode(unit, low) : '\ufffd', 11];
}

function hex4(value: string, at: number): number {
  const digits = value.slice(at, at + 4);
  if (digits.length < 4) throw new Error('incomplete hex sequence');
  if (!/^[0-9A-Fa-f]{4}$/.test(digits)) throw new Error(`invalid hex sequence ${JSON.stringify(digits)}`);
  return parseInt(digits, 16);
}

/** The os-release fields node_exporter exports. Missing keys are ''. */
export interface OsRelease {
  readonly name: string;
  readonly id: string;
  readonly idLike: string;
  readonly prettyName: string;
  readonly variant: string;
  readonly variantId: string;
  readonly version: string;
  readonly versionId: string;
  readonly versionCodename: string;
  readonly buildId: string;
  readonly imageId: string;
  readonly imageVersion: string;
  /** major.minor of VERSION_ID (`^[0-9]+\.?[0-9]*`), 0 if it has none. */
  readonly versionNumber: number;
  /** SUPPORT_END (YYYY-MM-DD) as Unix seconds at 00:00 UTC, undefined if absent. */
  readonly supportEnd: number | undefined;
}

export function parseOsRelease(text: string): OsRelease {
  const env = parseEnvFile(text);
  const get = (key: string): string => env.get(key) ?? '';
  const versionId = get('VERSION_ID');
  const majorMinor = /^[0-9]+\.?[0-9]*/.exec(versionId)?.[0];
  const supportEnd = get('SUPPORT_END');
  return {
    name: get('NAME'),
    id: get('ID'),
    idLike: get('ID_LIKE'),
    prettyName: get('PRETTY_NAME'),
    variant: get('VARIANT'),
    variantId: get('VARIANT_ID'),
    version: get('VERSION'),
    versionId,
    versionCodename: get('VERSION_CODENAME'),
    buildId: get('BUILD_ID'),
    imageId: get('IMAGE_ID'),
    imageVersion: get('IMAGE_VERSION'),
    versionNumber: majorMinor === undefined ? 0 : Number(majorMinor),
    supportEnd: supportEnd === '' ? undefined : parseDateOnly(supportEnd, 'SUPPORT_END'),
  };
}

/** Go's time.Parse(time.DateOnly, …): exactly YYYY-MM-DD, a real calendar day, read as UTC. */
export function parseDateOnly(text: string, what: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) throw new ParseError(`${what}: expected YYYY-MM-DD, got ${JSON.stringify(text)}`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw new ParseError(`${what}: ${JSON.stringify(text)} is not a calendar date`);
  }
  return date.getTime() / 1000;
}
