import { parseUint } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/** /proc/<pid>/io: bytes the process made the storage layer fetch and send (not rchar/wchar). */
export interface PidIo {
  readonly readBytes: number;
  readonly writeBytes: number;
}

/** "read_bytes: 4096" lines; both read_bytes and write_bytes are required. */
export function parsePidIo(text: string): PidIo {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^(\w+):\s*(\S*)\s*$/.exec(line);
    if (!m) throw new ParseError(`expected "key: value", got ${JSON.stringify(line.slice(0, 60))}`);
    values.set(m[1] as string, m[2] as string);
  }
  for (const key of ['read_bytes', 'write_bytes']) {
    if (!values.has(key)) throw new ParseError(`no ${key} line`);
  }
  return { readBytes: parseUint(values.get('read_bytes'), 'read_bytes'), writeBytes: parseUint(values.get('write_bytes'), 'write_bytes') };
}
