/**
 * Reading files that may legitimately be absent (a kernel feature not built or not loaded).
 * Candidates for src/io.ts; kept here until then so the collectors share one copy.
 */
import { parseFile } from '../io.js';
import { parseUint } from '../procfs/parse.js';
import { NoDataError, isNotFound } from './collector.js';

/** Parses `file`, or gives undefined when it does not exist. */
export async function parseFileIfExists<T>(file: string, parse: (text: string) => T, signal?: AbortSignal): Promise<T | undefined> {
  try {
    return await parseFile(file, parse, signal);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Parses `file`; its absence is node_exporter's ErrNoData (success 0, logged at debug). */
export async function parseFileOrNoData<T>(file: string, parse: (text: string) => T, signal?: AbortSignal): Promise<T> {
  const parsed = await parseFileIfExists(file, parse, signal);
  if (parsed === undefined) throw new NoDataError(`${file} does not exist`);
  return parsed;
}

const parseUintText = (text: string) => parseUint(text.trim(), 'value');

/** node_exporter's readUintFromFile (a one-number file such as pid_max), absent = no data. */
export function readUintFileOrNoData(file: string, signal?: AbortSignal): Promise<number> {
  return parseFileOrNoData(file, parseUintText, signal);
}
