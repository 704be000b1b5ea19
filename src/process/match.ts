/**
 * process-exporter's `process_names` rules: which group a process belongs to, and the group's
 * name from the rule's template. Semantics (config/config.go in ncabatoff/process-exporter):
 * the selectors of one rule are ANDed; a `comm` or `exe` list matches if any entry does; every
 * `cmdline` regex must match argv joined with spaces, and their named captures fill
 * {{.Matches.x}}; the first matching rule wins.
 */
import type { ProcessNameRule } from '../config/schema.js';
import { UserRegex } from '../gocompat/user-regex.js';

/** What a rule can look at. `username` and `cgroups` are read only when a template uses them. */
export interface ProcessAttributes {
  readonly pid: number;
  /** /proc/<pid>/stat's comm (15 bytes at most on Linux). */
  readonly comm: string;
  /** argv; empty for kernel threads and zombies. */
  readonly cmdline: readonly string[];
  /** Seconds since the epoch, to 10 ms on Linux. */
  readonly startTimeSeconds: number;
  readonly username?: string;
  readonly cgroups?: readonly string[];
}

/** Which optional attributes the rules' templates need, so a source reads nothing more. */
export interface AttributeNeeds {
  readonly username: boolean;
  readonly cgroups: boolean;
}

type TemplatePart = { readonly text: string } | { readonly field: string } | { readonly match: string };

interface CompiledRule {
  readonly comm?: ReadonlySet<string>;
  readonly exe?: readonly string[];
  readonly cmdline?: readonly UserRegex[];
  readonly name: readonly TemplatePart[];
}

/**
 * With no rules, every process with a command line is grouped by comm: the config Debian and
 * the upstream packages ship (`name: "{{.Comm}}"`, `cmdline: ['.+']`), which leaves out kernel
 * threads, whose names (kworker/0:1-events) change all the time.
 */
export const DEFAULT_RULES: readonly ProcessNameRule[] = [{ name: '{{.Comm}}', cmdline: [UserRegex.builtIn('.+')] }];

const TEMPLATE_ACTION = /\{\{\s*([^}]*?)\s*\}\}/g;

function compileTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of template.matchAll(TEMPLATE_ACTION)) {
    if (m.index > last) parts.push({ text: template.slice(last, m.index) });
    const expr = m[1] as string;
    const match = /^\.Matches\.(\w+)$/.exec(expr)?.[1];
    // The config schema has already rejected anything but .Field and .Matches.name.
    parts.push(match !== undefined ? { match } : { field: expr.slice(1) });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push({ text: template.slice(last) });
  return parts;
}

/** Go's filepath.Base: "" is ".", trailing slashes are dropped, "/" stays "/". */
export function goBase(path: string): string {
  if (path === '') return '.';
  const stripped = path.replace(/\/+$/, '');
  if (stripped === '') return '/';
  return stripped.slice(stripped.lastIndexOf('/') + 1);
}

/** Go's time.Time.String() for a UTC time: "2026-01-02 15:04:05.25 +0000 UTC". */
export function formatGoUtcTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const iso = new Date(ms - (ms % 1000)).toISOString();
  const fraction = String(ms % 1000).padStart(3, '0').replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? '.' + fraction : ''} +0000 UTC`;
}

function exeMatches(exes: readonly string[], argv0: string | undefined): boolean {
  if (argv0 === undefined) return false;
  const base = goBase(argv0);
  // An entry with a slash must equal argv[0]; without one, argv[0]'s basename.
  return exes.some((exe) => (exe.includes('/') ? exe === argv0 : exe === base));
}

/** Runs every regex on the joined argv; all must match. Returns the named captures, or undefined. */
function cmdlineMatches(regexes: readonly UserRegex[], joined: string): Map<string, string> | undefined {
  const captures = new Map<string, string>();
  for (const re of regexes) {
    const found = re.namedMatches(joined);
    if (!found) return undefined;
    for (const [name, value] of found) captures.set(name, value);
  }
  return captures;
}

export class ProcessMatcher {
  private readonly rules: readonly CompiledRule[];
  readonly needs: AttributeNeeds;

  /** `rules` as validated by the config schema; empty means group by comm. */
  constructor(rules: readonly ProcessNameRule[]) {
    const effective = rules.length > 0 ? rules : DEFAULT_RULES;
    this.rules = effective.map((r) => ({
      comm: r.comm ? new Set(r.comm) : undefined,
      exe: r.exe,
      cmdline: r.cmdline,
      name: compileTemplate(r.name),
    }));
    const fields = new Set(this.rules.flatMap((r) => r.name.flatMap((p) => ('field' in p ? [p.field] : []))));
    this.needs = { username: fields.has('Username'), cgroups: fields.has('Cgroups') };
  }

  /** The group name of the first rule that matches, or undefined when none does. */
  match(p: ProcessAttributes): string | undefined {
    let joined: string | undefined;
    for (const rule of this.rules) {
      if (rule.comm && !rule.comm.has(p.comm)) continue;
      if (rule.exe && !exeMatches(rule.exe, p.cmdline[0])) continue;
      let captures = new Map<string, string>();
      if (rule.cmdline) {
        joined ??= p.cmdline.join(' ');
        const found = cmdlineMatches(rule.cmdline, joined);
        if (!found) continue;
        captures = found;
      }
      return render(rule.name, p, captures);
    }
    return undefined;
  }
}

function render(parts: readonly TemplatePart[], p: ProcessAttributes, captures: ReadonlyMap<string, string>): string {
  // Without argv (kernel threads, zombies) process-exporter uses comm for both exe names.
  const exeFull = p.cmdline.length > 0 ? (p.cmdline[0] as string) : p.comm;
  let out = '';
  for (const part of parts) {
    if ('text' in part) out += part.text;
    else if ('match' in part) out += captures.get(part.match) ?? '<no value>';
    else out += fieldValue(part.field, p, exeFull);
  }
  return out;
}

/** The template fields, formatted as Go's text/template prints them. */
function fieldValue(field: string, p: ProcessAttributes, exeFull: string): string {
  switch (field) {
    case 'Comm':
      return p.comm;
    case 'ExeBase':
      return p.cmdline.length > 0 ? goBase(exeFull) : p.comm;
    case 'ExeFull':
      return exeFull;
    case 'Username':
      return p.username ?? '';
    case 'PID':
      return String(p.pid);
    case 'StartTime':
      return formatGoUtcTime(p.startTimeSeconds);
    case 'Cgroups':
      return `[${(p.cgroups ?? []).join(' ')}]`;
    default:
      return '<no value>';
  }
}
