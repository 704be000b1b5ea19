import { fields, parseUint } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

export interface FileNr {
  readonly allocated: number;
  readonly maximum: number;
}

/** /proc/sys/fs/file-nr: "allocated\tfree\tmaximum"; the middle field is always 0 since 2.6. */
export function parseFileNr(text: string): FileNr {
  const f = fields(text);
  if (f.length < 3) throw new ParseError(`expected 3 fields, got ${f.length}`);
  return { allocated: parseUint(f[0], 'allocated'), maximum: parseUint(f[2], 'maximum') };
}
