import fs, { type Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

import { IoGate, threadPoolSize, type IoGateOptions, type IoGateStatus } from './io-gate.js';
import { KernelFileReader, isLiveKernelFs, readFileAsync } from './kernel-file.js';
import { parseUint } from '../procfs/parse.js';
import { checkRegularFile, readRegularFile, type RegularFileContents } from './user-file.js';
import { NoDataError, isNotFound } from './errors.js';
import { systemPageSize } from './page-size.js';
import { HostPaths } from './paths.js';

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
 *   and /proc/<pid>/* files that can wait on another process (cmdline and environ on its memory
 *   lock, io on its exec lock, cgroup on the cgroup mutex), read through a held fd too on a live
 *   procfs (processFiles below).
 * - /proc/<pid>/stat and status (and a thread's), on a live procfs, are made from counters in
 *   the task and its mm without taking their locks, so they are read synchronously through a
 *   held fd: a scrape reads them for every process, and a trip through the pool costs the main
 *   thread several times the read itself. Listing /proc/<pid>/task and /proc/<pid>/fd is
 *   likewise synchronous.
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

/** A pooled read running this long is stuck: its file is refused until it returns. */
const STUCK_AFTER_MS = 5000;
/** The longest a caller without an abort signal waits for a pooled read. */
const MAX_WAIT_MS = 10_000;

/** Per-process procfs entries, which can wait on another process's locks. */
const PER_PROCESS = /^(\d+|self|thread-self)(\/|$)/;
/** A file of one process (by PID, not self) or of one of its threads, whose fd may be held; the PID is the first capture. */
const PROCESS_FILE = /^(\d+)\/(task\/\d+\/)?[^/]+$/;
/**
 * The process files read on every scrape through the pool, whose fds are held (others, such as
 * cmdline, are read once per process): io and cgroup of each tracked process, and pid 1's
 * mountinfo (the filesystem collector's mount table; pid 1 lives as long as its PID namespace,
 * so the mount namespace the fd holds is the one it names).
 */
const PROCESS_POOLED_HELD_FILE = /^\d+\/(io|cgroup|mountinfo)$/;
/** Held process files the kernel hands over a page at a time (a seq_file of records), so read to EOF. */
const PROCESS_RECORDS_FILE = /\/mountinfo$/;
/** The process files read synchronously on a live procfs (see above). */
const PROCESS_COUNTERS_FILE = /^\d+\/(task\/\d+\/)?(stat|status)$/;
/** A process's threads and open fds: listed from the task's tables, without its locks, so synchronously on a live procfs. */
const PROCESS_TABLE_DIR = /^\d+\/(task|fd)\/$/;

/**
 * Held fds of /proc/<pid> files, apart from the system-wide ones so that neither crowds out the
 * other. A scrape reads a few files of each tracked process (stat, status, io, cgroup, its
 * threads' status): one positional read through the pool each instead of open, read and close.
 * A held fd stays bound to its process: once that exits, reads fail with ESRCH even if the PID
 * was given to a new process, and the file is opened afresh (kernel-file.ts). Fds of processes
 * gone from the listing are closed at the next listing (retainProcesses).
 */
const MAX_HELD_PROCESS_FILES = 1024;
const PROCESS_FILE_IDLE_MS = 60_000;

/** A synchronous read as a promise, so callers handle both paths alike. */
function settled<T>(read: () => T): Promise<T> {
  try {
    return Promise.resolve(read());
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

const copyOut = (buf: Buffer, length: number): Buffer => Buffer.from(buf.subarray(0, length));
const decode = (buf: Buffer, length: number): string => buf.toString('utf8', 0, length);
const wholeText = (buf: Buffer): string => buf.toString('utf8');
function undefinedIfNotFound(err: unknown): undefined {
  if (isNotFound(err)) return undefined;
  throw err;
}

/** textNow's answers for a file read through the pool, and for one known to be still missing. */
const POOLED = Symbol('pooled');
const ABSENT = Symbol('absent');
const parseUintText = (text: string) => parseUint(text.trim(), 'value');

function numericAscending(names: string[]): string[] {
  return names.filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(a) - Number(b));
}

/** Runs a parser on a file's text, prefixing its errors with the file, so a log line says which file was broken. */
export function parseText<T>(file: string, text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (err) {
    throw new Error(`parsing ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads /proc/self/`name` of the exporter's own process (always the host's /proc, whatever --path.procfs says), synchronously. */
export function readOwnProcFile(name: string): string {
  return fs.readFileSync(path.join('/proc/self', name), 'utf8');
}

/**
 * The number of open file descriptors of this process: /proc/self/fd's size, which Linux
 * >= 6.2 reports as the count (a stat, where a listing would build one string per fd);
 * older kernels report 0 and are listed.
 */
export function countOwnOpenFds(): number {
  const size = fs.statSync('/proc/self/fd').size;
  // The listing holds one more fd of its own while it reads.
  return size > 0 ? size : fs.readdirSync('/proc/self/fd').length - 1;
}

/**
 * The host as the exporter reads it (prometheus/procfs's FS): the --path.* roots, whether the
 * procfs and sysfs roots are live kernel mounts, the held kernel-file descriptors and the gate
 * in front of libuv's pool. The exporter builds one and hands it to every collector; tests
 * build their own for a fixture tree.
 */
export class HostFs {
  private readonly procfsPrefix: string;
  private readonly sysfsPrefix: string;
  /** Whether each root is a live kernel mount, whose files may be held open (see kernel-file.ts); known on first use. */
  private liveRoots: { procfs: boolean; sysfs: boolean } | undefined;
  private readonly kernelFiles = new KernelFileReader();
  private readonly processFiles = new KernelFileReader({
    maxHeld: MAX_HELD_PROCESS_FILES,
    idleCloseMs: PROCESS_FILE_IDLE_MS,
    groupOf: (file) => PROCESS_FILE.exec(file.slice(this.procfsPrefix.length))?.[1],
  });
  /** Objects the collectors share through this host (see shared()). */
  private readonly sharedObjects = new Map<symbol, unknown>();
  private readonly pool: IoGate;
  private pageSizeOnce: Promise<number> | undefined;

  constructor(
    readonly paths: HostPaths = new HostPaths(),
    gate: Partial<IoGateOptions> = {},
  ) {
    this.procfsPrefix = path.resolve(paths.procfs) + path.sep;
    this.sysfsPrefix = path.resolve(paths.sysfs) + path.sep;
    // One pool thread is left to everything else (DNS lookups of probes and checks).
    this.pool = new IoGate({ slots: Math.max(1, threadPoolSize() - 1), stuckAfterMs: STUCK_AFTER_MS, maxWaitMs: MAX_WAIT_MS, ...gate });
  }

  /** Closes the held kernel-file descriptors (at shutdown); a later read opens them again. */
  close(): void {
    this.kernelFiles.closeAll();
    this.processFiles.closeAll();
  }

  /**
   * The one object under `key` for every collector reading this host, made on first use: what
   * several collectors read on each scrape (the process listing) is then read once.
   */
  shared<T>(key: symbol, make: () => T): T {
    if (!this.sharedObjects.has(key)) this.sharedObjects.set(key, make());
    return this.sharedObjects.get(key) as T;
  }

  /** Closes the held fds of /proc/<pid> files whose PID is not in `pids` (its process exited). */
  retainProcesses(pids: ReadonlySet<string>): void {
    this.processFiles.closeGroupsUnless((pid) => pids.has(pid));
  }

  /** How many /proc/<pid> files are held open (for tests and diagnosis). */
  heldProcessFileCount(): number {
    return this.processFiles.heldCount;
  }

  /** The gate's state: reads in the pool, stuck ones, saturation. */
  status(): IoGateStatus {
    return this.pool.status();
  }

  /** Why pooled file reads cannot complete now (none when they can), for /-/healthy and /-/ready. */
  problems(): string[] {
    const problem = this.pool.problem();
    return problem === undefined ? [] : [problem];
  }

  /** How many kernel files are held open for re-reading (for tests and diagnosis). */
  heldKernelFileCount(): number {
    return this.kernelFiles.heldCount;
  }

  /** The page size of the machine we run on (page-size.ts), read once. */
  pageSize(): Promise<number> {
    this.pageSizeOnce ??= systemPageSize();
    return this.pageSizeOnce;
  }

  private live(): { procfs: boolean; sysfs: boolean } {
    this.liveRoots ??= { procfs: isLiveKernelFs(this.procfsPrefix), sysfs: isLiveKernelFs(this.sysfsPrefix) };
    return this.liveRoots;
  }

  /** Whether `file` is in a live procfs or sysfs, whose files need no type check. */
  private inLiveKernelFs(file: string): boolean {
    if (file.startsWith(this.procfsPrefix)) return this.live().procfs;
    return file.startsWith(this.sysfsPrefix) && this.live().sysfs;
  }

  /** Whether a memory-backed file is in a live procfs or sysfs: otherwise it must be read through the pool. */
  private isMemoryBacked(file: string): boolean {
    if (file.startsWith(this.procfsPrefix)) return this.live().procfs && !PER_PROCESS.test(file.slice(this.procfsPrefix.length));
    return file.startsWith(this.sysfsPrefix) && this.live().sysfs && MEMORY_BACKED_SYSFS.test(file.slice(this.sysfsPrefix.length));
  }

  /** Listing a live sysfs directory or live procfs's system-wide part walks kernel memory only. */
  private isMemoryBackedDir(dir: string): boolean {
    const withSep = dir.endsWith(path.sep) ? dir : dir + path.sep;
    if (withSep.startsWith(this.sysfsPrefix)) return this.live().sysfs;
    if (!withSep.startsWith(this.procfsPrefix) || !this.live().procfs) return false;
    const rel = withSep.slice(this.procfsPrefix.length);
    return !PER_PROCESS.test(rel) || PROCESS_TABLE_DIR.test(rel);
  }

  /** /proc/<pid>/stat or status (or a thread's) on a live procfs. */
  private isProcessCounters(file: string): boolean {
    return file.startsWith(this.procfsPrefix) && PROCESS_COUNTERS_FILE.test(file.slice(this.procfsPrefix.length)) && this.live().procfs;
  }

  private readProcessCounters<T>(file: string, take: (buf: Buffer, length: number) => T): T {
    // One read has the whole file: these are single seq_file records.
    return this.processFiles.read(file, { hold: true, wholeInOneRead: true }, take);
  }

  /** A /proc/<pid> file (by number, not self) read on every scrape, on a live procfs. */
  private isHeldProcessFile(file: string): boolean {
    return file.startsWith(this.procfsPrefix) && PROCESS_POOLED_HELD_FILE.test(file.slice(this.procfsPrefix.length)) && this.live().procfs;
  }

  /** Whether a read that does not fill the buffer has the whole file (see kernel-file.ts). */
  private isSysfsAttribute(file: string): boolean {
    return file.startsWith(this.sysfsPrefix) && !file.startsWith('fs/cgroup/', this.sysfsPrefix.length);
  }

  /** Lists a directory's names, synchronously where the listing is memory-backed (see above). */
  listDir(dir: string, signal?: AbortSignal): Promise<string[]> {
    return this.isMemoryBackedDir(dir) ? settled(() => fs.readdirSync(dir)) : this.pool.run(dir, signal, () => readdir(dir));
  }

  /**
   * The number of open fds of process `pid`, as the entries of /proc/<pid>/fd. On a live procfs,
   * Linux 6.2 and later give it as the directory's size, which saves listing hundreds of
   * entries; access(2) first, so that a process whose fds we may not list is refused as before
   * (the size alone would be given). An older kernel says 0: then the directory is listed.
   */
  countOpenFds(pid: string, signal?: AbortSignal): Promise<number> {
    const dir = this.paths.proc(pid, 'fd');
    if (!this.isMemoryBackedDir(dir)) return this.pool.run(dir, signal, async () => (await readdir(dir)).length);
    return settled(() => {
      fs.accessSync(dir, fs.constants.R_OK);
      const size = fs.statSync(dir).size;
      return size > 0 ? size : fs.readdirSync(dir).length;
    });
  }

  /**
   * Whether `dir` exists and is a directory: a stat that returns "no" without building an error,
   * synchronously where listing it would be memory-backed, otherwise through the gated pool.
   */
  isDirectory(dir: string, signal?: AbortSignal): Promise<boolean> {
    if (this.isMemoryBackedDir(dir)) return settled(() => fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false);
    return this.pool.run(dir, signal, () => stat(dir).then((st) => st.isDirectory(), (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' || err.code === 'ENOTDIR' ? false : Promise.reject(err))));
  }

  /**
   * What identifies the version of `file` now (device, inode, size, change and modification
   * times, to the nanosecond), or undefined when it does not exist: one stat through the gated
   * pool, so that a file that rarely changes (os-release) is read again only when this differs.
   */
  fileVersion(file: string, signal?: AbortSignal): Promise<string | undefined> {
    return this.pool.run(file, signal, () =>
      stat(file, { bigint: true }).then(
        (st) => `${st.dev}:${st.ino}:${st.size}:${st.ctimeNs}:${st.mtimeNs}`,
        (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' || err.code === 'ENOTDIR' ? undefined : Promise.reject(err)),
      ),
    );
  }

  /** Like listDir, with each entry's type. */
  listDirEntries(dir: string, signal?: AbortSignal): Promise<Dirent[]> {
    if (this.isMemoryBackedDir(dir)) return settled(() => fs.readdirSync(dir, { withFileTypes: true }));
    return this.pool.run(dir, signal, () => readdir(dir, { withFileTypes: true }));
  }

  /** Through the gated pool: driver-backed sysfs attributes with a held fd, other files opened each time. */
  private readViaPool(file: string, signal?: AbortSignal): Promise<Buffer> {
    const wholeInOneRead = this.isSysfsAttribute(file);
    return this.pool.run(file, signal, () => {
      if (wholeInOneRead && this.live().sysfs) return this.kernelFiles.readAsync(file, true, signal);
      // io and cgroup are made whole in one go, so a short read has the whole file.
      if (this.isHeldProcessFile(file)) return this.processFiles.readAsync(file, !PROCESS_RECORDS_FILE.test(file), signal);
      return readFileAsync(file, { wholeInOneRead, checkType: !this.inLiveKernelFs(file) }, signal);
    });
  }

  /**
   * Reads a file a user names (the config file, for one): a regular file of at most `maxBytes`,
   * through the gated pool, so that neither a FIFO nor a hung mount can hold the caller past its
   * signal (10 s without one). Refusals are UserFileError (EISDIR, EFTYPE, EFBIG) or IoGateError.
   */
  readUserFile(file: string, options: { readonly maxBytes: number; readonly signal?: AbortSignal }): Promise<RegularFileContents> {
    return this.pool.run(file, options.signal, () => readRegularFile(file, options.maxBytes));
  }

  /**
   * Runs `op`, a file system call on `key` that may never return (statfs of a mount), through
   * the gate in front of libuv's pool, as the pooled reads are: refused at once while an earlier
   * call on `key` is stuck or every slot is; the caller waits until `signal` aborts. The call is
   * stuck after `stuckAfterMs` (a mount's statfs: the mount timeout) instead of the gate's 5 s.
   */
  runGated<T>(key: string, signal: AbortSignal | undefined, op: () => Promise<T>, stuckAfterMs?: number): Promise<T> {
    return this.pool.run(key, signal, op, stuckAfterMs);
  }

  /** How many gated calls may run at once (libuv's pool size less one). */
  get gatedSlots(): number {
    return this.pool.slots;
  }

  /** Checks, without reading it, that `file` is a regular file; bounded like readUserFile. */
  checkUserFile(file: string, signal?: AbortSignal): Promise<void> {
    return this.pool.run(file, signal, () => checkRegularFile(file));
  }

  private readMemoryBacked<T>(file: string, take: (buf: Buffer, length: number) => T): T {
    return this.kernelFiles.read(file, { hold: true, wholeInOneRead: this.isSysfsAttribute(file) }, take);
  }

  /** Reads a whole file's bytes (see the policy above). */
  readBytes(file: string, signal?: AbortSignal): Promise<Buffer> {
    if (this.isMemoryBacked(file)) return settled(() => this.readMemoryBacked(file, copyOut));
    if (this.isProcessCounters(file)) return settled(() => this.readProcessCounters(file, copyOut));
    return this.readViaPool(file, signal);
  }

  /**
   * The text of a file read synchronously (see the policy above), or POOLED for one read
   * through the pool; throws what the read throws. With `absentIsValue`, a file that was
   * missing last time and still is gives ABSENT, without building an error.
   */
  private textNow(file: string, absentIsValue: boolean): string | typeof POOLED | typeof ABSENT {
    if (this.isMemoryBacked(file)) {
      if (absentIsValue && this.kernelFiles.isStillAbsent(file)) return ABSENT;
      return this.readMemoryBacked(file, decode);
    }
    if (this.isProcessCounters(file)) {
      if (absentIsValue && this.processFiles.isStillAbsent(file)) return ABSENT;
      return this.readProcessCounters(file, decode);
    }
    return POOLED;
  }

  // The text and parse methods below answer synchronous reads with settled promises, not
  // through async functions: most files are read that way, several thousand a scrape, and an
  // async function nesting another costs a promise, a context and a reaction at each level.

  /** Reads a whole /proc or /sys file as text (see the policy above). */
  readText(file: string, signal?: AbortSignal): Promise<string> {
    let text: string | typeof POOLED | typeof ABSENT;
    try {
      text = this.textNow(file, false);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return typeof text === 'string' ? Promise.resolve(text) : this.readViaPool(file, signal).then(wholeText);
  }

  /** Like readText, but a missing file is `undefined` rather than an error. */
  readTextIfExists(file: string, signal?: AbortSignal): Promise<string | undefined> {
    let text: string | typeof POOLED | typeof ABSENT;
    try {
      text = this.textNow(file, true);
    } catch (err) {
      return isNotFound(err) ? Promise.resolve(undefined) : Promise.reject(err as Error);
    }
    if (typeof text === 'string') return Promise.resolve(text);
    if (text === ABSENT) return Promise.resolve(undefined);
    return this.readViaPool(file, signal).then(wholeText, undefinedIfNotFound);
  }

  parseFile<T>(file: string, parse: (text: string) => T, signal?: AbortSignal): Promise<T> {
    try {
      const text = this.textNow(file, false);
      if (typeof text === 'string') return Promise.resolve(parseText(file, text, parse));
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.readViaPool(file, signal).then((buf) => parseText(file, wholeText(buf), parse));
  }

  /** Reads a file holding one unsigned integer (most sysfs attributes); a missing file is `undefined`. */
  readUintIfExists(file: string, signal?: AbortSignal): Promise<number | undefined> {
    return this.parseFileIfExists(file, (t) => parseUint(t.trim(), path.basename(file)), signal);
  }

  /** Parses `file`, or gives undefined when it does not exist. */
  parseFileIfExists<T>(file: string, parse: (text: string) => T, signal?: AbortSignal): Promise<T | undefined> {
    try {
      const text = this.textNow(file, true);
      if (text === ABSENT) return Promise.resolve(undefined);
      if (text !== POOLED) return Promise.resolve(parseText(file, text, parse));
    } catch (err) {
      return isNotFound(err) ? Promise.resolve(undefined) : Promise.reject(err as Error);
    }
    return this.readViaPool(file, signal).then((buf) => parseText(file, wholeText(buf), parse), undefinedIfNotFound);
  }

  /** Parses `file`; its absence is node_exporter's ErrNoData (success 0, logged at debug). */
  async parseFileOrNoData<T>(file: string, parse: (text: string) => T, signal?: AbortSignal): Promise<T> {
    const parsed = await this.parseFileIfExists(file, parse, signal);
    if (parsed === undefined) throw new NoDataError(`${file} does not exist`);
    return parsed;
  }

  /** node_exporter's readUintFromFile (a one-number file such as pid_max), absent = no data. */
  readUintFileOrNoData(file: string, signal?: AbortSignal): Promise<number> {
    return this.parseFileOrNoData(file, parseUintText, signal);
  }

  /** Lists a directory; its absence is node_exporter's ErrNoData (the feature is not on this machine). */
  async readdirOrNoData(dir: string): Promise<string[]> {
    try {
      return await this.listDir(dir);
    } catch (err) {
      if (isNotFound(err)) throw new NoDataError(`${dir} does not exist`);
      throw err;
    }
  }

  /** The numeric entries (PIDs, or a task directory's thread ids), ascending; fs errors propagate. */
  async listPids(dir: string): Promise<string[]> {
    return numericAscending(await this.listDir(dir));
  }
}
