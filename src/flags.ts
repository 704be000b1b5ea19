/**
 * A command-line parser with kingpin's conventions, because deployment manifests written for
 * node_exporter pass flags that way: `--name=value` or `--name value`, booleans as `--name` /
 * `--no-name` (or `--name=false`), and a failure is one line naming the flag.
 */
import { UserRegex } from './regex/user-regex.js';

export type FlagKind = 'bool' | 'string' | 'regex' | 'duration' | 'int' | 'enum';

export interface FlagSpec {
  readonly name: string;
  readonly help: string;
  readonly kind: FlagKind;
  /** Default as the user would type it; undefined means "not set". */
  readonly default?: string;
  readonly choices?: readonly string[];
  readonly min?: number;
}

/** A regex flag's value matches in linear time, with Go's RE2 syntax (see src/regex/). */
export type FlagValue = boolean | string | UserRegex | number;

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

export class ParsedFlags {
  constructor(
    private readonly values: ReadonlyMap<string, FlagValue>,
    /** Flags the user gave explicitly (node_exporter's forcedCollectors relies on this). */
    readonly explicit: ReadonlySet<string>,
    readonly help: boolean,
    readonly version: boolean,
  ) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  private get(name: string, kind: string): FlagValue | undefined {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    if (kind === 'regex' ? !(v instanceof UserRegex) : typeof v !== kind) {
      throw new Error(`flag --${name} is not a ${kind}`);
    }
    return v;
  }

  bool(name: string): boolean {
    return (this.get(name, 'boolean') as boolean | undefined) ?? false;
  }

  string(name: string): string | undefined {
    return this.get(name, 'string') as string | undefined;
  }

  regex(name: string): UserRegex | undefined {
    return this.get(name, 'regex') as UserRegex | undefined;
  }

  /** Durations and ints are numbers: durations in milliseconds. */
  number(name: string): number | undefined {
    return this.get(name, 'number') as number | undefined;
  }
}

const GO_DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration ("5s", "1m30s", "250ms") to milliseconds. */
export function parseGoDuration(text: string): number {
  const whole = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))*$/;
  if (text === '0') return 0;
  if (!whole.test(text)) throw new Error(`invalid duration ${JSON.stringify(text)} (examples: 500ms, 5s, 1m30s)`);
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    ms += Number(m[1]) * (GO_DURATION_UNITS[m[2] as string] as number);
  }
  return ms;
}

function convert(spec: FlagSpec, raw: string): FlagValue {
  switch (spec.kind) {
    case 'bool':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw new Error(`expected true or false, got ${JSON.stringify(raw)}`);
    case 'string':
      return raw;
    case 'regex':
      return UserRegex.compile(raw);
    case 'duration':
      return parseGoDuration(raw);
    case 'int': {
      if (!/^-?\d+$/.test(raw)) throw new Error(`expected an integer, got ${JSON.stringify(raw)}`);
      const n = Number(raw);
      if (spec.min !== undefined && n < spec.min) throw new Error(`must be at least ${spec.min}, got ${n}`);
      return n;
    }
    case 'enum':
      if (!spec.choices?.includes(raw)) {
        throw new Error(`must be one of ${spec.choices?.join(', ')}; got ${JSON.stringify(raw)}`);
      }
      return raw;
  }
}

export function parseFlags(specs: readonly FlagSpec[], argv: readonly string[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, FlagValue>();
  const explicit = new Set<string>();
  let help = false;
  let version = false;

  for (const spec of specs) {
    if (spec.default === undefined) continue;
    try {
      values.set(spec.name, convert(spec, spec.default));
    } catch (err) {
      throw new Error(`default of --${spec.name}: ${(err as Error).message}`);
    }
  }

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (arg === '--version') {
      version = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      throw new FlagError(`unexpected argument ${JSON.stringify(arg)}: flags start with --, try --help`);
    }
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let raw: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    let spec = byName.get(name);
    if (!spec && name.startsWith('no-')) {
      const positive = byName.get(name.slice(3));
      if (positive?.kind === 'bool') {
        if (raw !== undefined) throw new FlagError(`flag --${name} takes no value`);
        spec = positive;
        name = positive.name;
        raw = 'false';
      }
    }
    if (!spec) throw new FlagError(`unknown long flag '--${name}', try --help`);
    if (raw === undefined) {
      if (spec.kind === 'bool') raw = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new FlagError(`expected a value for flag --${name}`);
        raw = next;
        i++;
      }
    }
    try {
      values.set(name, convert(spec, raw));
    } catch (err) {
      throw new FlagError(`invalid value for flag --${name}: ${(err as Error).message}`);
    }
    explicit.add(name);
  }
  return new ParsedFlags(values, explicit, help, version);
}

export function formatHelp(program: string, description: string, specs: readonly FlagSpec[]): string {
  const lines = [`usage: ${program} [<flags>]`, '', description, '', 'Flags:', '  -h, --help     Show help and exit.', '      --version  Show the version and exit.'];
  for (const s of specs) {
    const head = s.kind === 'bool' ? `--[no-]${s.name}` : `--${s.name}=${s.kind === 'enum' ? (s.choices ?? []).join('|') : s.kind.toUpperCase()}`;
    const dflt = s.kind !== 'bool' && s.default !== undefined ? ` (default: ${JSON.stringify(s.default)})` : '';
    lines.push(`      ${head}`, `          ${s.help}${dflt}`);
  }
  return lines.join('\n') + '\n';
}
