import { readFile } from 'node:fs/promises';
import { isNotFound } from './collector/collector.js';

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

/** Prefixes errors with the file they came from, so a log line says which file was broken. */
export async function parseFile<T>(file: string, parse: (text: string) => T, signal?: AbortSignal): Promise<T> {
  const text = await readText(file, signal);
  try {
    return parse(text);
  } catch (err) {
    throw new Error(`parsing ${file}: ${(err as Error).message}`, { cause: err });
  }
}
