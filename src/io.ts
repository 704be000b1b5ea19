import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isNotFound } from './collector/collector.js';
import { parseUint } from './procfs/parse.js';

/** Reads a whole /proc or /sys file. Async, so a collector's deadline can interrupt the wait. */
export function readText(file: string, signal?: AbortSignal): Promise<string> {
  return readFile(file, { encoding: 'utf8', signal });
}

/** Like readText, but a missing file is `undefined` rather than an error. */
export async function readTextIfExists(file: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    return await readText(file, signal);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Runs a parser on a file's text, prefixing its errors with the file, so a log line says which file was broken. */
export function parseText<T>(file: string, text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (err) {
    throw new Error(`parsing ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export async function parseFile<T>(file: string, parse: (text: string) => T, signal?: AbortSignal): Promise<T> {
  return parseText(file, await readText(file, signal), parse);
}

/** Reads a file holding one unsigned integer (most sysfs attributes); a missing file is `undefined`. */
export async function readUintIfExists(file: string, signal?: AbortSignal): Promise<number | undefined> {
  const text = await readTextIfExists(file, signal);
  return text === undefined ? undefined : parseText(file, text, (t) => parseUint(t.trim(), path.basename(file)));
}
