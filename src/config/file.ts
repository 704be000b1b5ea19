/**
 * Reads the config file and has it parsed off the main thread:
 * - Only a regular file of at most MAX_CONFIG_FILE_BYTES is read. It is opened non-blocking, so
 *   a FIFO cannot hang the exporter waiting for a writer, and /dev/zero is refused, not read.
 * - Parsing runs in a worker thread with its own heap limit and a deadline: YAML parsing takes
 *   about 2 s and 100 MB for a dense 1 MiB file, which on the main thread would stall every
 *   scrape, and a pathological file (deep nesting) would take the exporter's memory with it.
 *   The main thread only receives the validated config.
 * Neither the YAML parser nor the schema validator is loaded on the main thread.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ConfigError } from './error.js';
import { MAX_CONFIG_FILE_BYTES, PARSE_HEAP_MB, PARSE_TIMEOUT_MS } from './limits.js';
import type { ParseReply, ParseRequest } from './parse-worker.js';
import { fromTransferable } from './transfer.js';
import type { ExporterFileConfig } from './schema.js';

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'a special file';
}

function tooLarge(file: string): ConfigError {
  return new ConfigError(`${file}: the config file is larger than ${MAX_CONFIG_FILE_BYTES} bytes (1 MiB), the most supported`);
}

/** The file's text: a regular file, at most MAX_CONFIG_FILE_BYTES, UTF-8. */
export async function readConfigText(file: string): Promise<string> {
  const cannot = (why: string) => new ConfigError(`${file}: cannot read the config file: ${why}`);
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw cannot(e.code === 'ENOENT' ? 'no such file' : e.message);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw cannot(`it is ${kindOf(stats)}, not a regular file`);
    if (stats.size > MAX_CONFIG_FILE_BYTES) throw tooLarge(file);
    // One byte more than allowed, to notice a file that grew since stat().
    const buffer = Buffer.alloc(MAX_CONFIG_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_CONFIG_FILE_BYTES) throw tooLarge(file);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length));
    } catch {
      throw cannot('it is not UTF-8 text');
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw cannot((err as Error).message);
  } finally {
    await handle.close();
  }
}

export interface ParseLimits {
  readonly heapMb: number;
  readonly timeoutMs: number;
}

/** Parses and validates config text in a worker thread; rejects with ConfigError only. */
export function parseConfigText(
  text: string,
  file: string,
  limits: ParseLimits = { heapMb: PARSE_HEAP_MB, timeoutMs: PARSE_TIMEOUT_MS },
): Promise<ExporterFileConfig> {
  return new Promise((resolve, reject) => {
    const request: ParseRequest = { text, file };
    const worker = new Worker(new URL('./parse-worker.js', import.meta.url), {
      workerData: request,
      resourceLimits: { maxOldGenerationSizeMb: limits.heapMb },
      // Parsing needs none of the exporter's node options, and some (--input-type) fail a worker.
      execArgv: [],
    });
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      void worker.terminate();
      outcome();
    };
    const refuse = (why: string) => settle(() => reject(new ConfigError(`${file}: ${why}`)));
    const deadline = setTimeout(() => refuse(`parsing the config file took longer than ${limits.timeoutMs / 1000} s; it is refused`), limits.timeoutMs);
    worker.once('message', (reply: ParseReply) => {
      settle(() => (reply.ok ? resolve(fromTransferable<ExporterFileConfig>(reply.config)) : reject(new ConfigError(reply.message))));
    });
    worker.once('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') refuse(`the config file needs more than ${limits.heapMb} MB of memory to parse (too large or too deeply nested); it is refused`);
      else refuse(`cannot parse the config file: ${err.message}`);
    });
    worker.once('exit', (code) => refuse(`cannot parse the config file: the parser stopped (exit code ${code})`));
  });
}

export async function loadConfigFile(file: string): Promise<ExporterFileConfig> {
  return parseConfigText(await readConfigText(file), file);
}
