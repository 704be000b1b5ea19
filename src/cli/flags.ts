/**
 * A command-line parser with kingpin's conventions, because deployment manifests written for
 * node_exporter pass flags that way: `--name=value` or `--name value`, booleans as `--name` /
 * `--no-name` (or `--name=false`), and a failure is one line naming the flag.
 */
import { parseGoDuration } from '../gocompat/duration.js';
import { UserRegex } from '../gocompat/user-regex.js';

export type FlagKind = 'bool' | 'string' | 'regex' | 'duration' | 'int' | 'enum';

export interface FlagSpec {
  readonly name: string;
  readonly help: string;
  readonly kind: FlagKind;
  /** Default as the user would type it; undefined means "not set". */
  readonly default?: string;
  readonly choices?: readonly string[];
  readonly min?: number;
  /** Left out of --help (node_exporter's flags this exporter accepts and ignores). */
  readonly hidden?: boolean;
}

/** A regex flag's value matches in linear time, with Go's RE2 syntax (see src/gocompat/). */
export type FlagValue = boolean | string | UserRegex | number;

/** What each kind of flag holds once parsed: durations in milliseconds. */
interface KindValue {
  bool: boolean;
  string: string;
  regex: UserRegex;
  duration: number;
  int: number;
  enum: string;
}

/**
 * The value type a spec declares: booleans are always set; other kinds are `undefined` unless
 * they have a default; an enum is the union of its choices.
 */
export type ValueOfSpec<S extends FlagSpec> = S extends { kind: 'bool' }
  ? boolean
  : (S extends { kind: 'enum'; choices: readonly (infer C)[] } ? C : KindValue[S['kind']]) | (S extends { default: string } ? never : undefined);

/**
 * A declared flag: its spec, typed with the value it parses to, as kingpin's `.Bool()` returns a
 * `*bool`. `ParsedFlags.get(flag)` is then typed, and a misspelt flag is a compile error rather
 * than an `undefined` at run time.
 */
export interface Flag<T> extends FlagSpec {
  /** Only carries T for the type checker; never set. */
  readonly __value?: T;
}

/** Declares a flag from its spec; keep the spec a literal so its kind and default type the value. */
export function defineFlag<const S extends FlagSpec>(spec: S): Flag<ValueOfSpec<S>> {
  return spec;
}

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

export class ParsedFlags {
  constructor(
    private readonly values: ReadonlyMap<string, FlagValue>,
    /** Flags the user gave explicitly (node_exporter's forcedCollectors relies on this). */
    private readonly explicit: ReadonlySet<string>,
    /** Every flag the parser was given, so asking for one it never saw fails loudly. */
    private readonly declared: ReadonlySet<string>,
    readonly help: boolean,
    readonly version: boolean,
  ) {}

  /** The flag's value: its default, or what the command line gave. */
  get<T>(flag: Flag<T>): T {
    if (!this.declared.has(flag.name)) throw new Error(`flag --${flag.name} was not declared to the parser`);
    const v = this.values.get(flag.name);
    if (v === undefined && flag.kind === 'bool') return false as T;
    return v as T;
  }

  /** Whether the user gave the flag on the command line (rather than its default applying). */
  isExplicit(flag: FlagSpec): boolean {
    return this.explicit.has(flag.name);
  }
}

/** A flag's value from `raw`; `isDefault` when `raw` is the flag's own default, not the user's. */
function convert(spec: FlagSpec, raw: string, isDefault = false): FlagValue {
  switch (spec.kind) {
    case 'bool':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw new Error(`expected true or false, got ${JSON.stringify(raw)}`);
    case 'string':
      return raw;
    case 'regex':
      return isDefault ? UserRegex.builtIn(raw) : UserRegex.compile(raw);
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
      values.set(spec.name, convert(spec, spec.default, true));
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
  return new ParsedFlags(values, explicit, new Set(byName.keys()), help, version);
}

export function formatHelp(program: string, description: string, specs: readonly FlagSpec[]): string {
  const lines = [`usage: ${program} [<flags>]`, '', description, '', 'Flags:', '  -h, --help     Show help and exit.', '      --version  Show the version and exit.'];
  for (const s of specs) {
    if (s.hidden) continue;
    const head = s.kind === 'bool' ? `--[no-]${s.name}` : `--${s.name}=${s.kind === 'enum' ? (s.choices ?? []).join('|') : s.kind.toUpperCase()}`;
    const dflt = s.kind !== 'bool' && s.default !== undefined ? ` (default: ${JSON.stringify(s.default)})` : '';
    lines.push(`      ${head}`, `          ${s.help}${dflt}`);
  }
  return lines.join('\n') + '\n';
}
