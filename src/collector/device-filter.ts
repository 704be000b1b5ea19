/**
 * node_exporter's include/exclude pairs (device-include/device-exclude, mount-points-include/
 * mount-points-exclude, ...): mutually exclusive regexes, where giving the include drops the
 * default exclude. Regexes match anywhere in the name, as Go's MatchString does.
 */
import { defineFlag, type Flag, FlagError, type ParsedFlags } from '../cli/flags.js';
import type { UserRegex } from '../gocompat/user-regex.js';

export class DeviceFilter {
  constructor(
    private readonly exclude?: UserRegex,
    private readonly include?: UserRegex,
  ) {}

  ignored(name: string): boolean {
    if (this.exclude && this.exclude.test(name)) return true;
    return this.include !== undefined && !this.include.test(name);
  }
}

/** A pair's two flags, `<prefix>-include` and `<prefix>-exclude`; spread it into a collector's flags. */
export type FilterFlags = readonly [Flag<UserRegex | undefined>, Flag<UserRegex | undefined>] & {
  readonly include: Flag<UserRegex | undefined>;
  readonly exclude: Flag<UserRegex | undefined>;
};

/** Declares a pair's flags (the exclude with its default, if any). */
export function filterFlags(prefix: string, what: string, defaultExclude?: string): FilterFlags {
  const last = prefix.slice(prefix.lastIndexOf('.') + 1);
  const include: Flag<UserRegex | undefined> = defineFlag({
    name: `${prefix}-include`,
    kind: 'regex',
    help: `Regexp of ${what} to include (mutually exclusive to ${last}-exclude).`,
  });
  const exclude: Flag<UserRegex | undefined> = defineFlag({
    name: `${prefix}-exclude`,
    kind: 'regex',
    ...(defaultExclude === undefined ? {} : { default: defaultExclude }),
    help: `Regexp of ${what} to exclude (mutually exclusive to ${last}-include).`,
  });
  return Object.assign([include, exclude] as const, { include, exclude });
}

/** Builds the filter from a pair's flags; both given explicitly is a configuration error. */
export function filterFromFlags(flags: ParsedFlags, pair: FilterFlags): DeviceFilter {
  const include = flags.get(pair.include);
  if (include && flags.isExplicit(pair.exclude)) {
    throw new FlagError(`--${pair.include.name} and --${pair.exclude.name} are mutually exclusive`);
  }
  return include ? new DeviceFilter(undefined, include) : new DeviceFilter(flags.get(pair.exclude));
}
