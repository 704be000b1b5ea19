/**
 * Reads of kernel files (procfs, sysfs, cgroupfs) for host-fs.ts: synchronous ones for files
 * generated from kernel memory, and ones through libuv's thread pool for attributes that call
 * into a driver.
 *
 * These file systems generate a file's contents afresh on every read from offset 0, so a file
 * read on every scrape is opened once and re-read with pread: on a VM, open() and close() cost
 * several times the read itself, and each trip through the pool costs the main thread tens of
 * microseconds. That is done only on live kernel mounts: in a copied tree (tests,
 * --path.procfs pointing at a snapshot) a replaced file would keep serving its old inode. A
 * held fd whose file went away (a network interface removed) fails its read with ENODEV, and
 * the file is opened afresh once, which then reports the real error (ENOENT). Fds not read for
 * a while are closed, and at most `maxHeld` are kept, so a host with thousands of interfaces or
 * cgroups does not run out of descriptors.
 *
 * Files are opened with O_NONBLOCK, which kernel files ignore: in a copied tree (or any other
 * file) a FIFO then cannot make open(2) wait for a writer, and with `checkType` (files outside
 * a live kernel mount, which are read through the pool only) anything but a regular file is
 * refused before it is read. No file is read past MAX_FILE_BYTES, so a /dev/zero cannot eat
 * memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type MountInfo, parseMountinfo } from '../procfs/mountinfo.js';
import { checkRegular, OPEN_NONBLOCKING, tooLarge } from './user-file.js';

/** File system types whose files regenerate on every read. */
const KERNEL_FS_TYPES = new Set(['proc', 'sysfs', 'cgroup', 'cgroup2']);

/**
 * True when `dir` is on a live procfs, sysfs or cgroupfs (not a copied tree). Told from our
 * own mount table, not by statfs(2) of `dir`, which would hold the event loop for as long as a
 * hung mount there does not answer. A path through a symlink may be missed: it is then read as
 * a copy would be, which is slower but safe.
 */
export function isLiveKernelFs(dir: string, mountinfo?: string): boolean {
  const target = path.resolve(dir);
  let mounts: MountInfo[];
  try {
    mounts = parseMountinfo(mountinfo ?? fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return false;
  }
  // The deepest mount point above `dir`; of several at one point, the last one mounted.
  let found: MountInfo | undefined;
  for (const m of mounts) {
    const above = target === m.mountPoint || target.startsWith(m.mountPoint === '/' ? '/' : m.mountPoint + '/');
    if (above && m.mountPoint.length >= (found?.mountPoint.length ?? 0)) found = m;
  }
  if (found === undefined || !KERNEL_FS_TYPES.has(found.fsType)) return false;
  // /proc/<pid>/root and /proc/<pid>/cwd lead into another process's view of the file systems,
  // which our mount table does not describe: what is there (a FUSE tree, an NFS mount) is not
  // known to be a kernel file system, so it is not read as one (synchronously, with held fds).
  const rest = found.mountPoint === '/' ? target.slice(1) : target.slice(found.mountPoint.length + 1);
  return !(found.fsType === 'proc' && /^[^/]+\/(root|cwd)(\/|$)/.test(rest));
}

export interface KernelFileReaderOptions {
  readonly maxHeld?: number;
  /** A held fd not read for this long is closed. */
  readonly idleCloseMs?: number;
  readonly now?: () => number;
  /**
   * The group a held file belongs to (the process of a /proc/<pid> file), worked out once when
   * its fd is first held, for closeGroupsUnless.
   */
  readonly groupOf?: (file: string) => string | undefined;
}

interface HeldFile {
  readonly file: string;
  readonly group: string | undefined;
  readonly fd: number;
  lastReadMs: number;
  /** Asynchronous reads using the fd now; it is closed only once none is. */
  inFlight: number;
  /** Dropped from the table while a read was in flight: close when the last one ends. */
  retired: boolean;
}

const BUFFER_BYTES = 64 * 1024;
/** The most read from one file: far above any kernel file we read (/proc/net/tcp of a busy host is tens of MB). */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

/** How to read one file: see KernelFileReader.read. */
export interface ReadOptions {
  readonly hold: boolean;
  readonly wholeInOneRead: boolean;
}

/**
 * The first read asks for one page, which holds most kernel files whole: /proc/sys files
 * allocate and zero a kernel buffer as large as the request, so asking for 64 kB there costs
 * three times the page. Larger files continue with the rest of the buffer.
 */
const FIRST_READ_BYTES = 4096;

export class KernelFileReader {
  /**
   * One buffer for every read: reads never interleave, since none of them yields. It grows for
   * a larger file and shrinks back afterwards, so one big /proc/net/tcp does not keep memory.
   */
  private buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private readonly held = new Map<string, HeldFile>();
  /** Files that did not exist when last read (at most maxHeld remembered). */
  private readonly absent = new Set<string>();
  private readonly maxHeld: number;
  private readonly idleCloseMs: number;
  private readonly now: () => number;
  private readonly groupOf: (file: string) => string | undefined;
  private lastSweepMs: number;

  constructor(options: KernelFileReaderOptions = {}) {
    this.maxHeld = options.maxHeld ?? 1024;
    this.groupOf = options.groupOf ?? (() => undefined);
    this.idleCloseMs = options.idleCloseMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    this.lastSweepMs = this.now();
  }

  /**
   * Reads all of `file` and hands the bytes to `take` (the buffer is reused afterwards, so
   * `take` copies or decodes what it keeps). `hold` keeps the fd for the next read;
   * `wholeInOneRead` says a read that does not fill the buffer has everything (a sysfs
   * attribute is produced by one call into the kernel; procfs and cgroupfs files are sequences
   * of records the kernel may hand over a page at a time, so those are read to EOF).
   */
  read<T>(file: string, options: ReadOptions, take: (buf: Buffer, length: number) => T): T {
    this.checkStillAbsent(file);
    try {
      let length: number;
      try {
        length = options.hold ? this.readHeld(file, options.wholeInOneRead) : this.readOnce(file, options.wholeInOneRead);
      } catch (err) {
        this.rememberIfAbsent(file, err);
        throw err;
      }
      return take(this.buffer, length);
    } finally {
      if (this.buffer.length > BUFFER_BYTES) this.buffer = Buffer.allocUnsafe(BUFFER_BYTES);
    }
  }

  /**
   * Reads all of `file` through libuv's thread pool, for attributes that call into a driver and
   * may take their time (a network card's link speed): with the fd held, that is one trip
   * through the pool (a positional read) instead of three (open, read, close), and each trip
   * costs the main thread tens of microseconds on a VM.
   */
  async readAsync(file: string, wholeInOneRead: boolean, signal?: AbortSignal, retried = false): Promise<Buffer> {
    this.checkStillAbsent(file);
    const now = this.now();
    this.maybeSweep(now);
    let entry = this.held.get(file);
    if (!entry) {
      if (this.held.size >= this.maxHeld) return readFileAsync(file, { wholeInOneRead }, signal);
      let fd: number;
      try {
        fd = await openAsync(file);
      } catch (err) {
        this.rememberIfAbsent(file, err);
        throw err;
      }
      // A concurrent read of the same file may have opened it meanwhile: use one fd.
      entry = this.held.get(file);
      if (entry) fs.close(fd, () => {});
      else {
        entry = this.heldFile(file, fd, now);
        this.held.set(file, entry);
      }
    }
    entry.lastReadMs = now;
    entry.inFlight++;
    try {
      return await readFdAsync(entry.fd, wholeInOneRead, signal, file);
    } catch (err) {
      if (!isGone(err) || retried) throw err;
      this.release(file, entry);
      return this.readAsync(file, wholeInOneRead, signal, true);
    } finally {
      entry.inFlight--;
      if (entry.retired && entry.inFlight === 0) closeQuietly(entry.fd);
    }
  }

  /** How many fds are held now. */
  get heldCount(): number {
    return this.held.size;
  }

  /** Closes every held fd (the roots changed, or shutdown). */
  closeAll(): void {
    for (const [file, entry] of this.held) this.release(file, entry);
  }

  /**
   * Closes the held fds of the files whose group (see groupOf) `keep` rejects: those of
   * processes that exited. Files without a group are closed.
   */
  closeGroupsUnless(keep: (group: string) => boolean): void {
    for (const entry of this.held.values()) if (entry.group === undefined || !keep(entry.group)) this.release(entry.file, entry);
  }

  private heldFile(file: string, fd: number, now: number): HeldFile {
    return { file, group: this.groupOf(file), fd, lastReadMs: now, inFlight: 0, retired: false };
  }

  /** Forgets a held fd and closes it, at once or when its last asynchronous read ends. */
  private release(file: string, entry: HeldFile): void {
    if (this.held.get(file) === entry) this.held.delete(file);
    if (entry.inFlight > 0) entry.retired = true;
    else closeQuietly(entry.fd);
  }

  /**
   * Whether `file` was missing when last read and still is. A file missing last time is asked
   * about with access(2), which costs no exception: a failed open costs a stack-capturing
   * Error, and optional files (thermal_throttle on a VM, one per CPU) are missing on every
   * scrape. It is asked every time, since such a file can appear (a cgroup created, a CPU
   * brought online).
   */
  isStillAbsent(file: string): boolean {
    if (!this.absent.has(file)) return false;
    if (!fs.existsSync(file)) return true;
    this.absent.delete(file);
    return false;
  }

  private checkStillAbsent(file: string): void {
    if (this.isStillAbsent(file)) throw notFoundError(file);
  }

  private rememberIfAbsent(file: string, err: unknown): void {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return;
    if (this.absent.size >= this.maxHeld) this.absent.clear();
    this.absent.add(file);
  }

  private maybeSweep(now: number): void {
    if (now - this.lastSweepMs >= Math.min(this.idleCloseMs, 60_000)) this.sweep(now);
  }

  private readOnce(file: string, wholeInOneRead: boolean): number {
    const fd = fs.openSync(file, OPEN_NONBLOCKING);
    try {
      return this.readFrom(fd, wholeInOneRead, file);
    } finally {
      fs.closeSync(fd);
    }
  }

  private readHeld(file: string, wholeInOneRead: boolean): number {
    const now = this.now();
    this.maybeSweep(now);
    const known = this.held.get(file);
    if (known) {
      known.lastReadMs = now;
      try {
        return this.readFrom(known.fd, wholeInOneRead, file);
      } catch (err) {
        // Any other error is the attribute's answer for now (EINVAL from `carrier` on a down
        // interface): the same fd will answer again next time.
        if (!isGone(err)) throw err;
        // The file went away (ENODEV from kernfs once its device is removed): open it afresh
        // below, which finds the new one of the same name or reports that there is none.
        this.release(file, known);
      }
    }
    if (this.held.size >= this.maxHeld) return this.readOnce(file, wholeInOneRead);
    const fd = fs.openSync(file, OPEN_NONBLOCKING);
    const entry = this.heldFile(file, fd, now);
    try {
      const length = this.readFrom(fd, wholeInOneRead, file);
      this.held.set(file, entry);
      return length;
    } catch (err) {
      // Held even so, unless it is gone: the attribute may answer on a later scrape.
      if (isGone(err)) closeQuietly(fd);
      else this.held.set(file, entry);
      throw err;
    }
  }

  /** Reads from offset 0 to the end into the buffer, growing it as needed. */
  private readFrom(fd: number, wholeInOneRead: boolean, file: string): number {
    let length = 0;
    for (;;) {
      if (length === this.buffer.length) {
        if (length >= MAX_FILE_BYTES) throw tooLarge(file, MAX_FILE_BYTES);
        const bigger = Buffer.allocUnsafe(this.buffer.length * 2);
        this.buffer.copy(bigger);
        this.buffer = bigger;
      }
      const want = length === 0 ? Math.min(FIRST_READ_BYTES, this.buffer.length) : this.buffer.length - length;
      const n = fs.readSync(fd, this.buffer, length, want, length);
      length += n;
      if (n === 0 || (wholeInOneRead && n < want)) return length;
    }
  }

  private sweep(now: number): void {
    this.lastSweepMs = now;
    for (const [file, h] of this.held) {
      if (now - h.lastReadMs >= this.idleCloseMs) this.release(file, h);
    }
  }
}

/**
 * The first read's buffer: /proc/<pid>/io and cgroup and sysfs attributes are a few hundred
 * bytes. Below half of Buffer.poolSize, it is carved from Node's shared slab, where an 8 kB one
 * would be an ArrayBuffer of its own, outside the heap, for every pooled read (hundreds a
 * scrape). The reads to EOF continue into its free part; a larger file doubles it.
 */
const FIRST_BUFFER_BYTES = 2 * 1024;

function openAsync(file: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(file, OPEN_NONBLOCKING, (err, fd) => (err ? reject(err) : resolve(fd))));
}

function fstatAsync(fd: number): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.fstat(fd, (err, stats) => (err ? reject(err) : resolve(stats))));
}

/** Reads an fd from offset 0 to EOF through the pool (see `read` for wholeInOneRead). */
function readFdAsync(fd: number, wholeInOneRead: boolean, signal?: AbortSignal, file = `fd ${fd}`): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.allocUnsafe(FIRST_BUFFER_BYTES);
    let length = 0;
    const next = (): void => {
      if (signal?.aborted) return reject(signal.reason as Error);
      if (length === buf.length) {
        if (length >= MAX_FILE_BYTES) return reject(tooLarge(file, MAX_FILE_BYTES));
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, MAX_FILE_BYTES));
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      const want = buf.length - length;
      fs.read(fd, buf, length, want, length, (err, n) => {
        if (err) return reject(err);
        length += n;
        // procfs and sysfs report size 0, so read until EOF rather than trusting fstat.
        if (n > 0 && !(wholeInOneRead && n < want)) return next();
        resolve(buf.subarray(0, length));
      });
    };
    next();
  });
}

/**
 * Opens, reads and closes `file` through the pool, for files whose fd is not kept: those
 * outside live kernel mounts, and /proc/<pid> files read once per process (its command line).
 * The answer does not wait for close(), which would be one more trip through the pool.
 */
export async function readFileAsync(
  file: string,
  options: { readonly wholeInOneRead: boolean; readonly checkType?: boolean },
  signal?: AbortSignal,
): Promise<Buffer> {
  if (signal?.aborted) throw signal.reason;
  const fd = await openAsync(file);
  try {
    if (options.checkType) checkRegular(file, await fstatAsync(fd));
    return await readFdAsync(fd, options.wholeInOneRead, signal, file);
  } finally {
    fs.close(fd, () => {});
  }
}

/** ENOENT as fs.openSync reports it, built without capturing a stack (the caller only checks the code). */
function notFoundError(file: string): NodeJS.ErrnoException {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return Object.assign(new Error(`ENOENT: no such file or directory, open '${file}'`), { errno: -2, code: 'ENOENT', syscall: 'open', path: file });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * The held fd's file is gone: ENODEV from kernfs once its device is removed; ESRCH from a
 * /proc/<pid> file once its process exited, even when the PID now belongs to another process.
 */
function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENODEV' || code === 'ESTALE' || code === 'EBADF' || code === 'ESRCH';
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Already closed or invalid: nothing to give back.
  }
}
