/**
 * node_exporter's include/exclude pairs (device-include/device-exclude, mount-points-include/
 * mount-points-exclude, ...): mutually exclusive regexes, where giving the include drops the
 * default exclude. Regexes match anywhere in the name, as Go's MatchString does.
 */
import type { FlagSpec, ParsedFlags } from '../flags.js';
import type { UserRegex } from '../regex/user-regex.js';

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

/** The two flag specs of a pair: `<prefix>-include` and `<prefix>-exclude` (with its default). */
export function filterFlags(prefix: string, what: string, defaultExclude?: string): FlagSpec[] {
  const last = prefix.slice(prefix.lastIndexOf('.') + 1);
  return [
    { name: `${prefix}-include`, kind: 'regex', help: `Regexp of ${what} to include (mutually exclusive to ${last}-exclude).` },
    {
      name: `${prefix}-exclude`,
      kind: 'regex',
      ...(defaultExclude === undefined ? {} : { default: defaultExclude }),
      help: `Regexp of ${what} to exclude (mutually exclusive to ${last}-include).`,
    },
  ];
}

/** Builds the filter from a pair's flags; both given explicitly is a configuration error. */
export function filterFromFlags(flags: ParsedFlags, prefix: string): DeviceFilter {
  const includeFlag = `${prefix}-include`;
  const excludeFlag = `${prefix}-exclude`;
  const include = flags.regex(includeFlag);
  if (include && flags.explicit.has(excludeFlag)) {
    throw new Error(`--${includeFlag} and --${excludeFlag} are mutually exclusive`);
  }
  return include ? new DeviceFilter(undefined, include) : new DeviceFilter(flags.regex(excludeFlag));
}
