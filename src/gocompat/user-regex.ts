/**
 * Regular expressions that users hand us (collector flags, --probe.allowed-targets, the config
 * file's cmdline and body/header regexes), in Go's RE2 syntax as node_exporter, blackbox_exporter
 * and process-exporter read them, and matched in time linear in the input. JavaScript's RegExp
 * backtracks: `(a+)+$` on a 33-byte argument, or `node .*server\.js` on a long command line,
 * would hold the event loop (and so every endpoint) for tens of seconds.
 *
 * The engine (re2js, a port of Go's regexp) stays behind this class; nothing else imports it.
 * It is loaded with the first pattern a user gives: the patterns we ship as flag defaults
 * (builtIn) run on JavaScript's RegExp, which saves the exporter re2js's ~1.3 MB of heap when
 * it runs with its defaults.
 */
import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';

const requireHere = createRequire(import.meta.url);

/** re2js's CommonJS build, loaded on first use (require caches it). */
function re2js(): typeof RE2JS {
  return (requireHere('re2js') as typeof import('re2js')).RE2JS;
}

/** What UserRegex asks of a compiled pattern: re2js's RE2JS, or BuiltInRegex. */
interface CompiledRegex {
  test(text: string): boolean;
  testExact(text: string): boolean;
  exec(text: string): unknown[] | null;
  namedGroups(): Record<string, number>;
}

/**
 * A pattern of ours (a flag's default) on JavaScript's RegExp. Its syntax is checked to be in
 * the part where RE2 and JavaScript agree: literals, `.` (written [^\n], as RE2's dot; the
 * JavaScript one also refuses \r and the Unicode line separators), \d, classes of letters,
 * digits, `_` and `-`, groups, alternation, ?, *, + and the two anchors, which neither engine
 * reads as multi-line. Our patterns and the short kernel names they are matched against
 * cannot make the backtracking engine slow; users' patterns always get re2js.
 */
class BuiltInRegex implements CompiledRegex {
  private readonly anywhere: RegExp;
  private readonly whole: RegExp;

  constructor(source: string) {
    let js = '';
    for (let i = 0; i < source.length; i++) {
      const c = source[i] as string;
      if (/[A-Za-z0-9_/:^$|()?*+-]/.test(c)) {
        if (c === '(' && source[i + 1] === '?') throw new RegexSyntaxError(`built-in pattern ${JSON.stringify(source)}: no (? groups`);
        js += c;
      } else if (c === '.') {
        js += '[^\\n]';
      } else if (c === '\\' && source[i + 1] === 'd') {
        js += '\\d';
        i++;
      } else if (c === '[') {
        const end = source.indexOf(']', i);
        const body = end < 0 ? '' : source.slice(i + 1, end);
        if (!/^\^?[A-Za-z0-9_-]+$/.test(body)) throw new RegexSyntaxError(`built-in pattern ${JSON.stringify(source)}: unsupported class at ${i}`);
        js += `[${body}]`;
        i = end;
      } else {
        throw new RegexSyntaxError(`built-in pattern ${JSON.stringify(source)}: ${JSON.stringify(c)} at ${i} is outside the syntax RE2 and JavaScript share`);
      }
    }
    this.anywhere = new RegExp(js);
    this.whole = new RegExp(`^(?:${js})$`);
  }

  test(text: string): boolean {
    return this.anywhere.test(text);
  }

  testExact(text: string): boolean {
    return this.whole.test(text);
  }

  exec(text: string): unknown[] | null {
    return this.anywhere.exec(text);
  }

  namedGroups(): Record<string, number> {
    return {};
  }
}

export class RegexSyntaxError extends Error {
  override readonly name = 'RegexSyntaxError';
}

/** What RE2 leaves out on purpose, named when a pattern fails on it. */
const UNSUPPORTED_PERL = /unsupported Perl syntax|invalid named capture: `\(\?<[=!]|invalid escape sequence: `\\[1-9k]/;
const SYNTAX_HINT = 'RE2 syntax (https://github.com/google/re2/wiki/Syntax) has no lookahead, lookbehind or backreferences';

function compileOrThrow(source: string): CompiledRegex {
  try {
    return re2js().compile(source);
  } catch (err) {
    const reason = ((err as Error).message || String(err)).replace(/^error parsing regexp: /, '');
    const hint = UNSUPPORTED_PERL.test(reason) ? `; ${SYNTAX_HINT}` : '';
    throw new RegexSyntaxError(`invalid regular expression ${JSON.stringify(source)}: ${reason}${hint}`);
  }
}

export class UserRegex {
  private constructor(
    /** The pattern as the user wrote it. */
    readonly source: string,
    private compiledOrUndefined: CompiledRegex | undefined,
  ) {}

  /** Compiles with Go's default flags (leftmost-first, `.` not matching \n, `$` only at the end). */
  static compile(source: string): UserRegex {
    return new UserRegex(source, compileOrThrow(source));
  }

  /** A pattern we ship (a flag's default), on JavaScript's RegExp: see BuiltInRegex. */
  static builtIn(source: string): UserRegex {
    return new UserRegex(source, new BuiltInRegex(source));
  }

  /**
   * A pattern already compiled once elsewhere (by the config parser's worker thread), compiled
   * again on first use: a config of thousands of regexes then costs the main thread nothing
   * when it arrives, only as each is first matched.
   */
  static validated(source: string): UserRegex {
    return new UserRegex(source, undefined);
  }

  private get compiled(): CompiledRegex {
    this.compiledOrUndefined ??= compileOrThrow(this.source);
    return this.compiledOrUndefined;
  }

  private names: readonly string[] | undefined;

  /** Names of the named groups, `(?P<name>...)` or `(?<name>...)`. */
  get groupNames(): readonly string[] {
    this.names ??= Object.keys(this.compiled.namedGroups());
    return this.names;
  }

  /** Whether it matches anywhere in `text`, as Go's MatchString. */
  test(text: string): boolean {
    return this.compiled.test(text);
  }

  /** Whether it matches all of `text`, as if written `^(?:...)$`. */
  testWhole(text: string): boolean {
    return this.compiled.testExact(text);
  }

  /**
   * The named groups of the leftmost match (a group that took no part is ""), or undefined when
   * there is no match. Captures cost more than a yes/no answer, so they are only taken once the
   * cheap test has matched.
   */
  namedMatches(text: string): ReadonlyMap<string, string> | undefined {
    if (!this.compiled.test(text)) return undefined;
    if (this.groupNames.length === 0) return new Map();
    const groups = (this.compiled.exec(text) as RegExpExecArray | null)?.groups ?? {};
    return new Map(this.groupNames.map((name) => [name, groups[name] ?? '']));
  }

  /**
   * The leftmost match's groups by number (0 is the whole match; a group that took no part is
   * undefined) and by name, or undefined when there is no match: what Go's Expand needs.
   */
  submatches(text: string): { readonly groups: readonly (string | undefined)[]; readonly named: ReadonlyMap<string, string | undefined> } | undefined {
    if (!this.compiled.test(text)) return undefined;
    const found = this.compiled.exec(text) as RegExpExecArray | null;
    if (!found) return undefined;
    const named = found.groups ?? {};
    return { groups: Array.from(found), named: new Map(this.groupNames.map((name) => [name, named[name]])) };
  }

  toString(): string {
    return this.source;
  }

  /** The source, so that configs holding regexes serialise (and compare) as the user wrote them. */
  toJSON(): string {
    return this.source;
  }
}
