import fs from 'node:fs';
import path from 'node:path';

const GLOB_META = /[*?[\\]/;

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Go's filepath.Glob: matches sorted per directory; a path without metacharacters matches if it exists. */
export function goGlob(pattern: string): string[] {
  const matchName = goMatcher(path.basename(pattern)); // Throws on a bad pattern, as Glob does.
  if (!GLOB_META.test(pattern)) return exists(pattern) ? [pattern] : [];
  const dirPart = pattern.slice(0, pattern.length - path.basename(pattern).length);
  const dir = dirPart === '' ? '.' : dirPart === '/' ? '/' : dirPart.replace(/\/+$/, '');
  const dirs = GLOB_META.test(dir) ? (dir === pattern ? [] : goGlob(dir)) : [dir];
  const matches: string[] = [];
  for (const d of dirs) {
    if (!isDirectory(d)) continue;
    let names: string[];
    try {
      names = fs.readdirSync(d).sort();
    } catch {
      continue;
    }
    for (const n of names) if (matchName(n)) matches.push(path.join(d, n));
  }
  return matches;
}

/** Go's filepath.Match for one path element, as a predicate; throws on a malformed pattern. */
function goMatcher(pattern: string): (name: string) => boolean {
  // In a `u` regex only syntax characters may be escaped, and `-` only inside a class.
  const escape = (c: string): string => c.replace(/[\\\]^$.*+?()[{}|/]/g, '\\$&');
  const escapeInClass = (c: string): string => (c === '-' ? '\\-' : escape(c));
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= pattern.length) throw new Error('syntax error in pattern');
      re += escape(pattern[++i] as string);
    } else if (c === '[') {
      let cls = '[';
      i++;
      if (pattern[i] === '^') (cls += '^'), i++;
      let ranges = 0;
      for (;;) {
        if (i >= pattern.length) throw new Error('syntax error in pattern');
        if (pattern[i] === ']' && ranges > 0) break;
        const one = (): string => {
          let ch = pattern[i];
          if (ch === undefined || ch === '-' || ch === ']') throw new Error('syntax error in pattern');
          if (ch === '\\') ch = pattern[++i];
          if (ch === undefined) throw new Error('syntax error in pattern');
          i++;
          return escapeInClass(ch);
        };
        cls += one();
        if (pattern[i] === '-') {
          i++;
          cls += '-' + one();
        }
        ranges++;
      }
      re += cls + ']';
    } else re += escape(c);
  }
  const compiled = new RegExp(`^${re}$`, 'su');
  return (name) => compiled.test(name);
}
