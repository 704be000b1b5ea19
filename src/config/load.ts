/**
 * Parses the exporter's YAML config text and validates it against the schema. Every problem is
 * reported as `<file>: <path.in.file>: <what is wrong> (line L, column C)`, so a user can fix
 * a broken file without guessing; nothing half-valid is ever returned. The exporter runs this
 * in a worker thread (see file.ts); tests call parseConfig directly.
 */
import { isMap, isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './error.js';
import { MAX_CONFIG_ENTRIES } from './limits.js';
import { configSchema, type ExporterFileConfig } from './schema.js';
import { webConfigSchema, type WebConfigFile } from './web-schema.js';

export { ConfigError } from './error.js';
export { loadConfigFile } from './file.js';

type Path = readonly PropertyKey[];

function formatPath(path: Path): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += (out === '' ? '' : '.') + String(p);
  }
  return out === '' ? '(top level)' : out;
}

function positionOf(doc: Document, lines: LineCounter, path: Path, key?: string): string {
  let node = doc.getIn(path as unknown[], true);
  if (key !== undefined && isMap(node)) {
    node = node.items.find((pair) => isNode(pair.key) && (pair.key as { value?: unknown }).value === key)?.key ?? node;
  }
  const offset = isNode(node) ? node.range?.[0] : undefined;
  if (offset === undefined) return '';
  const { line, col } = lines.linePos(offset);
  return ` (line ${line}, column ${col})`;
}

function describeIssue(file: string, doc: Document, lines: LineCounter, issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    const where = positionOf(doc, lines, issue.path, keys[0]);
    return `${file}: ${formatPath(issue.path)}: unknown field${keys.length > 1 ? 's' : ''} ${keys.join(', ')}${where}`;
  }
  return `${file}: ${formatPath(issue.path)}: ${issue.message}${positionOf(doc, lines, issue.path)}`;
}

/** Refuses lists longer than the limits before validating them entry by entry. */
function checkEntryCounts(file: string, doc: Document, lines: LineCounter, data: unknown): void {
  if (typeof data !== 'object' || data === null) return;
  for (const [key, { max, what }] of Object.entries(MAX_CONFIG_ENTRIES)) {
    const value: unknown = (data as Record<string, unknown>)[key];
    const count = Array.isArray(value) ? value.length : typeof value === 'object' && value !== null ? Object.keys(value).length : 0;
    if (count > max) throw new ConfigError(`${file}: ${key}: ${count} ${what}, more than the ${max} supported${positionOf(doc, lines, [], key)}`);
  }
}

function parseValidated<T>(text: string, file: string, schema: z.ZodType<T>): T {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const at = err.linePos?.[0];
    throw new ConfigError(`${file}: invalid YAML: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}${at ? ` (line ${at.line}, column ${at.col})` : ''}`);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    // The yaml package refuses alias bombs here ("Excessive alias count ...").
    throw new ConfigError(`${file}: invalid YAML: ${(err as Error).message}`);
  }
  checkEntryCounts(file, doc, lines, data);
  const result = schema.safeParse(data);
  if (!result.success) {
    const messages = result.error.issues.slice(0, 5).map((i) => describeIssue(file, doc, lines, i));
    const more = result.error.issues.length > 5 ? `\n(and ${result.error.issues.length - 5} more problems)` : '';
    throw new ConfigError(messages.join('\n') + more);
  }
  return result.data;
}

/** Parses and validates config text; `file` names it in messages. Throws only ConfigError. */
export function parseConfig(text: string, file: string): ExporterFileConfig {
  return parseWith(text, file, configSchema);
}

/** Parses and validates a --web.config.file text (exporter-toolkit's format); throws only ConfigError. */
export function parseWebConfig(text: string, file: string): WebConfigFile {
  return parseWith(text, file, webConfigSchema);
}

function parseWith<T>(text: string, file: string, schema: z.ZodType<T>): T {
  try {
    return parseValidated(text, file, schema);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // Whatever else fails (a stack overflow on deep nesting, say) is still this file's fault.
    throw new ConfigError(`${file}: cannot parse the config file: ${(err as Error).message}`);
  }
}
