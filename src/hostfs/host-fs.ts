import fs, { type Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { IoGate, threadPoolSize, type IoGateStatus } from './io-gate.js';
import { KernelFileReader, isLiveKernelFs, readFileAsync } from './kernel-file.js';
import { parseUint } from '../procfs/parse.js';
import { checkRegularFile, readRegularFile, type RegularFileContents } from './user-file.js';
import { NoDataError, isNotFound } from './errors.js';

/**
 * How files are read on the scrape path, which is most of a scrape's cost:
 * - Files generated from kernel memory, in a live procfs or sysfs (kernel-file.ts's
 *   isLiveKernelFs), never wait on a device, so they are read synchronously:
 *   a few microseconds each, against tens of microseconds of main-thread work per trip through
 *   libuv's thread pool.
 *   These are procfs's system-wide files (/proc/stat, /proc/meminfo, /proc/net/*, /proc/sys/*)
 *   and the sysfs trees below MEMORY_BACKED_SYSFS.
 * - Everything else goes through the thread pool, so a stuck read delays only its own
 *   collector, bounded by its deadline: sysfs attributes that call into drivers (hwmon
 *   sensors, thermal zones, power supplies, network link settings), read through a held fd,
 *   and /proc/<pid>/* files, which can wait on another process's memory lock, opened each time.
 *   These go through an IoGate (io-gate.ts): a read that never returns (a process stuck in D
 *   state, a hung mount) holds one pool thread, never all of them, and is not asked again
 *   until it returns.
 * - Files outside live kernel mounts (a copied tree, udev's database, textfiles, the config
 *   file) are read through the pool too, whatever their name: they may be on a mount that
 *   hangs. They must be regular files, and opening one never waits (user-file.ts).
 * - The exporter's own /proc/self files are read synchronously, as prom-client reads them: its
 *   own metrics must answer even when the pool is full of reads that do not return.
 * kernel-file.ts does the reading.
 */
const MEMORY_BACKED_SYSFS = new RegExp(
  '^(devices/system/(cpu|clocksource)/|fs/cgroup/|class/dmi/|block/|dev/block/' +
    // Network device fields, except those that ask the driver (link settings, switch ports).
    '|class/net/[^/]+/(statistics/|(?!speed$|duplex$|phys_)[^/]+$))',
);

let procfsPrefix = path.resolve('/proc') + path.sep;
let sysfsPrefix = path.resolve('/sys') + path.sep;
/** Whether each root is a live kernel mount, whose files may be held open (see kernel-file.ts); known on first use. */
let liveRoots: { procfs: boolean; sysfs: boolean } | undefined;
const kernelFiles = new KernelFileReader();

/** A pooled read running this long is stuck: its file is refused until it returns. */
const STUCK_AFTER_MS = 5000;
/** The longest a caller without an abort signal waits for a pooled read. */
const MAX_WAIT_MS = 10_000;
/** One pool thread is left to everything else (DNS lookups of probes and checks). */
const pool = new IoGate({ slots: Math.max(1, threadPoolSize() - 1), stuckAfterMs: STUCK_AFTER_MS, maxWaitMs: MAX_WAIT_MS });

/** The gate's state: reads in the pool, stuck ones, saturation. */
export function ioPoolStatus(): IoGateStatus {
  return pool.status();
}

/** Why pooled file reads cannot complete now (none when they can), for /-/healthy and /-/ready. */
export function ioPoolProblems(): string[] {
  const problem = pool.problem();
  return problem === undefined ? [] : [problem];
}

/** Tells the reader where --path.procfs and --path.sysfs are, for the choice above. */
export function setKernelFsRoots(procfs: string, sysfs: string): void {
  procfsPrefix = path.resolve(procfs) + path.sep;
  sysfsPrefix = path.resolve(sysfs) + path.sep;
  liveRoots = undefined;
  kernelFiles.closeAll();
}

function live(): { procfs: boolean; sysfs: boolean } {
  liveRoots ??= { procfs: isLiveKernelFs(procfsPrefix), sysfs: isLiveKernelFs(sysfsPrefix) };
  return liveRoots;
}

/** How many kernel files are held open for re-reading (for tests and diagnosis). */
export function heldKernelFileCount(): number {
  return kernelFiles.heldCount;
}

/** Per-process procfs entries, which can wait on another process's locks. */
const PER_PROCESS = /^(\d+|self|thread-self)(\/|$)/;

/** Whether `file` is in a live procfs or sysfs, whose files need no type check. */
function inLiveKernelFs(file: string): boolean {
  if (file.startsWith(procfsPrefix)) return live().procfs;
  return file.startsWith(sysfsPrefix) && live().sysfs;
}

/** Whether a memory-backed file is in a live procfs or sysfs: otherwise it must be read through the pool. */
function isMemoryBacked(file: string): boolean {
  if (file.startsWith(procfsPrefix)) return live().procfs && !PER_PROCESS.test(file.slice(procfsPrefix.length));
  return file.startsWith(sysfsPrefix) && live().sysfs && MEMORY_BACKED_SYSFS.test(file.slice(sysfsPrefix.length));
}

/** Listing a live sysfs directory or live procfs's system-wide part walks kernel memory only. */
function isMemoryBackedDir(dir: string): boolean {
  const withSep = dir.endsWith(path.sep) ? dir : dir + path.sep;
  if (withSep.startsWith(sysfsPrefix)) return live().sysfs;
  return withSep.startsWith(procfsPrefix) && live().procfs && !PER_PROCESS.test(withSep.slice(procfsPrefix.length));
}

/** A synchronous read as a promise, so callers handle both paths alike. */
function settled<T>(read: () => T): Promise<T> {
  try {
    return Promise.resolve(read());
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

/** Lists a directory's names, synchronously where the listing is memory-backed (see above). */
export function listDir(dir: string, signal?: AbortSignal): Promise<string[]> {
  return isMemoryBackedDir(dir) ? settled(() => fs.readdirSync(dir)) : pool.run(dir, signal, () => readdir(dir));
}

/** Like listDir, with each entry's type. */
export function listDirEntries(dir: string, signal?: AbortSignal): Promise<Dirent[]> {
  if (isMemoryBackedDir(dir)) return settled(() => fs.readdirSync(dir, { withFileTypes: true }));
  return pool.run(dir, signal, () => readdir(dir, { withFileTypes: true }));
}

/** Whether a read that does not fill the buffer has the whole file (see kernel-file.ts). */
function isSysfsAttribute(file: string): boolean {
  return file.startsWith(sysfsPrefix) && !file.startsWith('fs/cgroup/', sysfsPrefix.length);
}

/** Through the gated pool: driver-backed sysfs attributes with a held fd, other files opened each time. */
function readViaPool(file: string, signal?: AbortSignal): Promise<Buffer> {
  const wholeInOneRead = isSysfsAttribute(file);
  return pool.run(file, signal, () => {
    if (wholeInOneRead && live().sysfs) return kernelFiles.readAsync(file, true, signal);
    return readFileAsync(file, { wholeInOneRead, checkType: !inLiveKernelFs(file) }, signal);
  });
}

/**
 * Reads a file a user names (the config file, for one): a regular file of at most `maxBytes`,
 * through the gated pool, so that neither a FIFO nor a hung mount can hold the caller past its
 * signal (10 s without one). Refusals are UserFileError (EISDIR, EFTYPE, EFBIG) or IoGateError.
 */
export function readUserFile(file: string, options: { readonly maxBytes: number; readonly signal?: AbortSignal }): Promise<RegularFileContents> {
  return pool.run(file, options.signal, () => readRegularFile(file, options.maxBytes));
}

/** Checks, without reading it, that `file` is a regular file; bounded like readUserFile. */
export function checkUserFile(file: string, signal?: AbortSignal): Promise<void> {
  return pool.run(file, signal, () => checkRegularFile(file));
}

const copyOut = (buf: Buffer, length: number): Buffer => Buffer.from(buf.subarray(0, length));
const decode = (buf: Buffer, length: number): string => buf.toString('utf8', 0, length);

function readMemoryBacked<T>(file: string, take: (buf: Buffer, length: number) => T): T {
  return kernelFiles.read(file, { hold: true, wholeInOneRead: isSysfsAttribute(file) }, take);
}

/** Reads a whole file's bytes (see the policy above). */
export function readBytes(file: string, signal?: AbortSignal): Promise<Buffer> {
  if (isMemoryBacked(file)) return settled(() => readMemoryBacked(file, copyOut));
  return readViaPool(file, signal);
}

/** Reads /proc/self/`name` of the exporter's own process (always the host's /proc), synchronously. */
export function readOwnProcFile(name: string): string {
  return fs.readFileSync(path.join('/proc/self', name), 'utf8');
}

/** Reads a whole /proc or /sys file as text (see the policy above). */
export async function readText(file: string, signal?: AbortSignal): Promise<string> {
  if (isMemoryBacked(file)) return readMemoryBacked(file, decode);
  return (await readViaPool(file, signal)).toString('utf8');
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

/** Runs a parser on a file's text, prefixing its errors with the file, so a log line says which file was broken. */
export function parseText<T>(file: string, text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (err) {
    throw new Error(`parsing ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export async function parseFile<T>(file: string, parse: (text: string) => T, signal?: AbortSignal): Promise<T> {
  return parseText(file, await readText(file, signal), parse);
}

/** Reads a file holding one unsigned integer (most sysfs attributes); a missing file is `undefined`. */
export async function readUintIfExists(file: string, signal?: AbortSignal): Promise<number | undefined> {
  const text = await readTextIfExists(file, signal);
  return text === undefined ? undefined : parseText(file, text, (t) => parseUint(t.trim(), path.basename(file)));
}

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

/** Lists a directory; its absence is node_exporter's ErrNoData (the feature is not on this machine). */
export async function readdirOrNoData(dir: string): Promise<string[]> {
  try {
    return await listDir(dir);
  } catch (err) {
    if (isNotFound(err)) throw new NoDataError(`${dir} does not exist`);
    throw err;
  }
}

function numericAscending(names: string[]): string[] {
  return names.filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(a) - Number(b));
}

/** The PIDs under --path.procfs, ascending; no procfs there is node_exporter's ErrNoData. */
export async function listProcesses(procDir: string): Promise<string[]> {
  return numericAscending(await readdirOrNoData(procDir));
}

/** The numeric entries (PIDs, or a task directory's thread ids), ascending; fs errors propagate. */
export async function listPids(dir: string): Promise<string[]> {
  return numericAscending(await listDir(dir));
}
