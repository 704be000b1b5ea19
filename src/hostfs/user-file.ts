/**
 * Reading files that users name (textfiles, the config file, a copied procfs tree): regular
 * files only, and at most a given size. Opening never waits: with O_NONBLOCK, open(2) of a FIFO
 * returns at once instead of waiting for a writer (which would hold a thread for good), and the
 * file type is checked on the open fd before anything is read, so a FIFO, a device (/dev/zero
 * behind a symlink) or a socket is refused, never read.
 */
import fs from 'node:fs';
import { open } from 'node:fs/promises';

/** open(2) flags: never wait for a FIFO's writer, never acquire a controlling terminal. */
export const OPEN_NONBLOCKING = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;

export interface RegularFileContents {
  readonly bytes: Buffer;
  /** Modification time in whole seconds since the epoch, as Go's ModTime().UnixNano()/1e9. */
  readonly mtimeSeconds: number;
}

/**
 * A file refused for its type (code EISDIR or EFTYPE) or size (EFBIG), worded as Node words
 * fs errors: "EFTYPE: not a regular file (FIFO), open '/path'".
 */
export class UserFileError extends Error {
  override readonly name = 'UserFileError';
  constructor(
    readonly code: 'EISDIR' | 'EFTYPE' | 'EFBIG',
    readonly syscall: 'open' | 'read',
    readonly path: string,
    detail: string,
    /** For EFBIG, the file's size when known. */
    readonly size?: number,
    /** For EISDIR and EFTYPE, what the file is instead ("FIFO", "directory", ...). */
    readonly kind?: string,
  ) {
    super(`${code}: ${detail}, ${syscall} '${path}'`);
  }
}

type AnyStats = fs.Stats | fs.BigIntStats;

/** What a non-regular file is, in words. */
export function fileKind(stats: AnyStats): string {
  if (stats.isFile()) return 'regular file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isSocket()) return 'socket';
  return 'special file';
}

/** Throws unless `stats` (of an open fd) is a regular file. */
export function checkRegular(file: string, stats: AnyStats): void {
  if (stats.isFile()) return;
  const kind = fileKind(stats);
  throw new UserFileError(stats.isDirectory() ? 'EISDIR' : 'EFTYPE', 'open', file, `not a regular file (${kind})`, undefined, kind);
}

/** The error for a file larger than `maxBytes` (of `size` bytes, when known). */
export function tooLarge(file: string, maxBytes: number, size?: number): UserFileError {
  return new UserFileError('EFBIG', 'read', file, `larger than the limit of ${maxBytes} bytes`, size);
}

/**
 * The buffer of one read to EOF: sized from fstat plus one byte (so a file that grew since is
 * noticed), grown up to one byte past the limit, so that reading past the limit is an error.
 */
class Contents {
  private buffer: Buffer;
  length = 0;
  readonly mtimeSeconds: number;

  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
    stats: fs.BigIntStats,
  ) {
    checkRegular(file, stats);
    if (stats.size > BigInt(maxBytes)) throw tooLarge(file, maxBytes, Number(stats.size));
    this.buffer = Buffer.allocUnsafe(Number(stats.size) + 1);
    this.mtimeSeconds = Number(stats.mtimeNs / 1_000_000_000n);
  }

  /** Where the next read goes: always at least one free byte. */
  room(): { buffer: Buffer; offset: number; length: number } {
    if (this.length === this.buffer.length) {
      if (this.length > this.maxBytes) throw tooLarge(this.file, this.maxBytes);
      const bigger = Buffer.allocUnsafe(Math.min(this.buffer.length * 2, this.maxBytes + 1));
      this.buffer.copy(bigger, 0, 0, this.length);
      this.buffer = bigger;
    }
    return { buffer: this.buffer, offset: this.length, length: this.buffer.length - this.length };
  }

  /** Counts `n` bytes read; true at EOF. */
  add(n: number): boolean {
    this.length += n;
    if (this.length > this.maxBytes) throw tooLarge(this.file, this.maxBytes);
    return n === 0;
  }

  result(): RegularFileContents {
    return { bytes: this.buffer.subarray(0, this.length), mtimeSeconds: this.mtimeSeconds };
  }
}

/** Reads a whole regular file of at most `maxBytes`, synchronously (for worker threads). */
export function readRegularFileSync(file: string, maxBytes: number): RegularFileContents {
  const fd = fs.openSync(file, OPEN_NONBLOCKING);
  try {
    const contents = new Contents(file, maxBytes, fs.fstatSync(fd, { bigint: true }));
    for (;;) {
      const { buffer, offset, length } = contents.room();
      if (contents.add(fs.readSync(fd, buffer, offset, length, offset))) return contents.result();
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens `file` without waiting and checks that it is a regular file, through libuv's thread pool. */
export async function checkRegularFile(file: string): Promise<void> {
  const handle = await open(file, OPEN_NONBLOCKING);
  try {
    checkRegular(file, await handle.stat());
  } finally {
    await handle.close();
  }
}

/**
 * Reads a whole regular file of at most `maxBytes` through libuv's thread pool. Call it through
 * HostFs.readUserFile, which bounds the wait and keeps a hung read from starving the pool.
 */
export async function readRegularFile(file: string, maxBytes: number): Promise<RegularFileContents> {
  const handle = await open(file, OPEN_NONBLOCKING);
  try {
    const contents = new Contents(file, maxBytes, await handle.stat({ bigint: true }));
    for (;;) {
      const { buffer, offset, length } = contents.room();
      const { bytesRead } = await handle.read(buffer, offset, length, offset);
      if (contents.add(bytesRead)) return contents.result();
    }
  } finally {
    await handle.close();
  }
}
