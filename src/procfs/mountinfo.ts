import { parseUint } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/** One line of /proc/<pid>/mountinfo (proc(5)); paths and names have their octal escapes decoded. */
export interface MountInfo {
  readonly mountId: number;
  readonly parentId: number;
  readonly major: number;
  readonly minor: number;
  /** The directory of the filesystem that is mounted here ("/" unless a bind mount). */
  readonly root: string;
  readonly mountPoint: string;
  /** Per-mount options, as listed ("rw", "relatime", ...). */
  readonly options: readonly string[];
  /** "shared:1", "master:2", ... (zero or more). */
  readonly optionalFields: readonly string[];
  readonly fsType: string;
  /** The mount source ("/dev/sda1", "server:/export", "tmpfs", ...). */
  readonly source: string;
  /** Per-superblock options, as listed. */
  readonly superOptions: readonly string[];
}

// id, parent, major:minor, root, mount point, options, "-", type, source, super options.
const MIN_FIELDS = 10;
const FIRST_OPTIONAL_FIELD = 6;
const FIELDS_AFTER_SEPARATOR = 3;

/**
 * The kernel writes space, tab, newline and backslash in paths as \040, \011, \012 and \134;
 * node_exporter decodes only the first two, which leaves the others unusable for statfs.
 */
export function decodeMountEscapes(text: string): string {
  return text.includes('\\') ? text.replace(/\\([0-3][0-7]{2})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))) : text;
}

/** Parses a whole mountinfo file; any malformed line fails the whole file, naming the line. */
export function parseMountinfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    try {
      mounts.push(parseMountinfoLine(line));
    } catch (err) {
      throw new ParseError(`line ${i + 1}: ${(err as Error).message}`);
    }
  }
  return mounts;
}

export function parseMountinfoLine(line: string): MountInfo {
  // Single spaces separate the fields; an empty source shows up as an empty field.
  const f = line.split(' ');
  if (f.length < MIN_FIELDS) throw new ParseError(`expected at least ${MIN_FIELDS} fields, got ${f.length}`);
  const separator = f.indexOf('-', FIRST_OPTIONAL_FIELD);
  if (separator === -1) throw new ParseError('no "-" separator before the filesystem type');
  if (f.length - separator - 1 !== FIELDS_AFTER_SEPARATOR) {
    throw new ParseError(`expected ${FIELDS_AFTER_SEPARATOR} fields after "-" (type, source, super options), got ${f.length - separator - 1}`);
  }
  const device = (f[2] as string).split(':');
  if (device.length !== 2) throw new ParseError(`major:minor: expected two numbers separated by ":", got ${JSON.stringify(f[2])}`);
  return {
    mountId: parseUint(f[0], 'mount ID'),
    parentId: parseUint(f[1], 'parent ID'),
    major: parseUint(device[0], 'major'),
    minor: parseUint(device[1], 'minor'),
    root: decodeMountEscapes(f[3] as string),
    mountPoint: decodeMountEscapes(f[4] as string),
    options: (f[5] as string).split(','),
    optionalFields: f.slice(FIRST_OPTIONAL_FIELD, separator),
    fsType: decodeMountEscapes(f[separator + 1] as string),
    source: decodeMountEscapes(f[separator + 2] as string),
    superOptions: (f[separator + 3] as string).split(','),
  };
}
