/**
 * Reads the textfiles of --collector.textfile.directory, synchronously, for a worker thread
 * (read-worker.ts): Go's filepath.Glob over the pattern, then each `*.prom` file of each
 * directory, in name order. Only regular files are read (user-file.ts), each up to a per-file
 * limit and all of them up to a total, so a FIFO, a /dev/zero or a huge file costs one failed
 * file, not the scrape. Run synchronously in a worker, 5,000 small files take tens of
 * milliseconds, and a hung mount blocks that worker only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { goGlob } from '../gocompat/glob.js';
import { readRegularFileSync } from '../hostfs/user-file.js';

export interface TextfileLimits {
  readonly maxFileBytes: number;
  readonly maxScrapeBytes: number;
}

export interface TextfileRequest extends TextfileLimits {
  readonly pattern: string;
}

export interface TextfileEntry {
  /** The file's path (directory joined with name). */
  readonly file: string;
  readonly name: string;
  /** Where the file's bytes are in the reply's `data`, when it was read. */
  readonly offset?: number;
  readonly length?: number;
  /** Whole seconds since the epoch, when it was read. */
  readonly mtimeSeconds?: number;
  /** Why the file was not read (node_exporter's wording). */
  readonly error?: string;
}

export interface TextfileListing {
  readonly dirErrors: readonly { readonly path: string; readonly error: string }[];
  readonly files: readonly TextfileEntry[];
  /** The bytes of every file read, one after the other. */
  readonly data: Uint8Array;
}

/** The files of `request.pattern`, read as node_exporter's textfile collector reads them. */
export function readTextfiles(request: TextfileRequest): TextfileListing {
  const dirErrors: { path: string; error: string }[] = [];
  const files: TextfileEntry[] = [];
  const chunks: Buffer[] = [];
  let total = 0;
  let dirs: string[];
  try {
    dirs = goGlob(request.pattern);
  } catch {
    dirs = [];
  }
  // Like node_exporter: no match (or a bad pattern) means "the path itself".
  for (const dir of dirs.length > 0 ? dirs : [request.pattern]) {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch (err) {
      // The default, an empty directory flag, is "no textfiles" rather than an error.
      if (dir !== '') dirErrors.push({ path: dir, error: (err as Error).message });
      continue;
    }
    for (const name of names) {
      if (!name.endsWith('.prom')) continue;
      const file = path.join(dir, name);
      const left = request.maxScrapeBytes - total;
      const limit = Math.min(request.maxFileBytes, left);
      try {
        const { bytes, mtimeSeconds } = readRegularFileSync(file, limit);
        files.push({ file, name, offset: total, length: bytes.length, mtimeSeconds });
        chunks.push(bytes);
        total += bytes.length;
      } catch (err) {
        files.push({ file, name, error: describeFailure(file, err, request, limit) });
      }
    }
  }
  const data = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    data.set(chunk, offset);
    offset += chunk.length;
  }
  return { dirErrors, files, data };
}

/**
 * node_exporter's "failed to open textfile data file", or why a read failed or was skipped:
 * a file refused only for what was left of the scrape's limit (`limit`) says so.
 */
function describeFailure(file: string, err: unknown, limits: TextfileLimits, limit: number): string {
  const e = err as NodeJS.ErrnoException & { size?: number };
  const quoted = JSON.stringify(file);
  if (e.code === 'EFBIG' && limit < limits.maxFileBytes && !((e.size ?? 0) > limits.maxFileBytes)) {
    return `skipped textfile data file ${quoted}: the textfiles of this scrape reached the total limit of ${limits.maxScrapeBytes} bytes`;
  }
  if (e.code === 'EFBIG' || e.syscall === 'read') return `failed to read textfile data file ${quoted}: ${e.message}`;
  return `failed to open textfile data file ${quoted}: ${e.message}`;
}
