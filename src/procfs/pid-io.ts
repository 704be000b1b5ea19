import { fieldEnd, skipSpaces, uintAt } from './pid-scan.js';
import { ParseError } from '../lib/parse-error.js';

/** /proc/<pid>/io: bytes the process made the storage layer fetch and send (not rchar/wchar). */
export interface PidIo {
  readonly readBytes: number;
  readonly writeBytes: number;
}

const isWordChar = (code: number) => (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95;

/**
 * "read_bytes: 4096" lines; both read_bytes and write_bytes are required. Read in place: the
 * file is read for every tracked process on every scrape.
 */
export function parsePidIo(text: string): PidIo {
  let read = -1;
  let write = -1;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) {
      let colon = start;
      while (colon < end && isWordChar(text.charCodeAt(colon))) colon++;
      const value = skipSpaces(text, colon + 1, end);
      if (colon === start || text.charCodeAt(colon) !== 58 || skipSpaces(text, fieldEnd(text, value, end), end) !== end) {
        throw new ParseError(`expected "key: value", got ${JSON.stringify(text.slice(start, end).slice(0, 60))}`);
      }
      // The last line of a key counts, as a later value replaces an earlier one.
      if (colon - start === 10 && text.startsWith('read_bytes', start)) read = value;
      else if (colon - start === 11 && text.startsWith('write_bytes', start)) write = value;
    }
    start = end + 1;
  }
  if (read < 0) throw new ParseError('no read_bytes line');
  if (write < 0) throw new ParseError('no write_bytes line');
  return {
    readBytes: uintAt(text, read, fieldEnd(text, read, text.length), 'read_bytes'),
    writeBytes: uintAt(text, write, fieldEnd(text, write, text.length), 'write_bytes'),
  };
}
