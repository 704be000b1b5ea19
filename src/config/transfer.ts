/**
 * A validated config crosses from the parser's worker thread to the main thread by structured
 * clone, which keeps plain data but not class instances: a compiled UserRegex would arrive as
 * an empty object. So regexes travel as their source, marked, and become UserRegexes again on
 * arrival, compiled on first use (compiling the 3,000 regexes of the largest config allowed at
 * once held the event loop for about 0.3 s).
 */
import { UserRegex } from '../gocompat/user-regex.js';

const REGEX_MARK = '__sidecarExporterUserRegex';

type Marked = { readonly [REGEX_MARK]: string };

function isMarked(value: object): value is Marked {
  return typeof (value as Record<string, unknown>)[REGEX_MARK] === 'string';
}

/** Plain data, regexes replaced by marked sources. */
export function toTransferable(value: unknown): unknown {
  if (value instanceof UserRegex) return { [REGEX_MARK]: value.source };
  if (Array.isArray(value)) return value.map(toTransferable);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toTransferable(v)]));
  return value;
}

/** The inverse of toTransferable: marked sources compiled again. */
export function fromTransferable<T>(value: unknown): T {
  const revive = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(revive);
    if (v !== null && typeof v === 'object') return isMarked(v) ? UserRegex.validated(v[REGEX_MARK]) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
    return v;
  };
  return revive(value) as T;
}
