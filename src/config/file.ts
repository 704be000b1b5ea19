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
import { Worker } from 'node:worker_threads';
import type { HostFs } from '../hostfs/host-fs.js';
import { UserFileError } from '../hostfs/user-file.js';
import { ConfigError } from './error.js';
import { MAX_CONFIG_FILE_BYTES, PARSE_HEAP_MB, PARSE_TIMEOUT_MS } from './limits.js';
import type { ParseReply, ParseRequest } from './parse-worker.js';
import { fromTransferable } from './transfer.js';
import type { ExporterFileConfig } from './schema.js';
import type { WebConfigFile } from './web-schema.js';

/** A read of the config file that has not returned by then never will (a hung mount): refuse it. */
const READ_TIMEOUT_MS = 10_000;

/**
 * The file's text: a regular file, at most MAX_CONFIG_FILE_BYTES, UTF-8, read through the host
 * reader's readUserFile (opened non-blocking, its type checked before any read, bounded in
 * time even when the read itself never returns).
 */
export async function readConfigText(file: string, host: HostFs): Promise<string> {
  const cannot = (why: string) => new ConfigError(`${file}: cannot read the config file: ${why}`);
  let bytes: Buffer;
  const signal = AbortSignal.timeout(READ_TIMEOUT_MS);
  try {
    ({ bytes } = await host.readUserFile(file, { maxBytes: MAX_CONFIG_FILE_BYTES, signal }));
  } catch (err) {
    if (signal.aborted) throw cannot(`the read did not finish within ${READ_TIMEOUT_MS / 1000} s (a hung mount?)`);
    if (err instanceof UserFileError) {
      if (err.code === 'EFBIG') throw new ConfigError(`${file}: the config file is larger than ${MAX_CONFIG_FILE_BYTES} bytes (1 MiB), the most supported`);
      throw cannot(`it is ${err.kind === 'FIFO' ? 'a named pipe (FIFO)' : `a ${err.kind}`}, not a regular file`);
    }
    const e = err as NodeJS.ErrnoException;
    throw cannot(e.code === 'ENOENT' ? 'no such file' : e.message);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw cannot('it is not UTF-8 text');
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
  return parseInWorker({ text, file, kind: 'exporter' }, limits);
}

/** parseConfigText for --web.config.file (exporter-toolkit's format). */
export function parseWebConfigText(text: string, file: string): Promise<WebConfigFile> {
  return parseInWorker({ text, file, kind: 'web' }, { heapMb: PARSE_HEAP_MB, timeoutMs: PARSE_TIMEOUT_MS });
}

function parseInWorker<T>(request: ParseRequest, limits: ParseLimits): Promise<T> {
  const { file } = request;
  return new Promise((resolve, reject) => {
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
      settle(() => (reply.ok ? resolve(fromTransferable<T>(reply.config)) : reject(new ConfigError(reply.message))));
    });
    worker.once('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') refuse(`the config file needs more than ${limits.heapMb} MB of memory to parse (too large or too deeply nested); it is refused`);
      else refuse(`cannot parse the config file: ${err.message}`);
    });
    worker.once('exit', (code) => refuse(`cannot parse the config file: the parser stopped (exit code ${code})`));
  });
}

export async function loadConfigFile(file: string, host: HostFs): Promise<ExporterFileConfig> {
  return parseConfigText(await readConfigText(file, host), file);
}
