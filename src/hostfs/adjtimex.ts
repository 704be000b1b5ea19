/**
 * adjtimex(2), read-only (modes = 0): the kernel's NTP clock state, which no /proc or /sys file
 * shows. Node.js has no binding for it, so the call goes through koffi, an FFI whose prebuilt
 * binary ships inside its npm package (no compiler, no download at install). koffi is imported
 * only when a caller loads the function, so an exporter with the timex collector off never maps it.
 */
import os from 'node:os';

/** The fields of the kernel's struct timex this exporter reads, in the kernel's units. */
export interface Timex {
  /** Time offset: microseconds, or nanoseconds when `status` has STA_NANO. */
  readonly offset: number;
  /** Frequency offset, in ppm scaled by 2^16. */
  readonly freq: number;
  /** Maximum and estimated error, microseconds. */
  readonly maxerror: number;
  readonly esterror: number;
  /** The STA_* bits. */
  readonly status: number;
  /** PLL time constant. */
  readonly constant: number;
  /** Clock precision, microseconds. */
  readonly precision: number;
  /** Clock frequency tolerance, ppm scaled by 2^16. */
  readonly tolerance: number;
  /** Microseconds between clock ticks. */
  readonly tick: number;
  /** PPS frequency, ppm scaled by 2^16. */
  readonly ppsfreq: number;
  /** PPS jitter: microseconds, or nanoseconds with STA_NANO. */
  readonly jitter: number;
  /** PPS interval duration, as a power of two seconds. */
  readonly shift: number;
  /** PPS stability, ppm scaled by 2^16. */
  readonly stabil: number;
  /** PPS event counters. */
  readonly jitcnt: number;
  readonly calcnt: number;
  readonly errcnt: number;
  readonly stbcnt: number;
  /** TAI − UTC, seconds. */
  readonly tai: number;
}

/** One call's result: the clock state it returned (TIME_OK … TIME_ERROR) and the struct. */
export interface AdjtimexReading {
  readonly state: number;
  readonly timex: Timex;
}

/** Reads the clock; throws AdjtimexError when the kernel refuses. */
export type Adjtimex = () => AdjtimexReading;

/** adjtimex(2)'s return value when the clock is not synchronised (STA_UNSYNC and PPS faults). */
export const TIME_ERROR = 5;
/** status bits: the clock is unsynchronised; offsets are in nanoseconds. */
export const STA_UNSYNC = 0x0040;
export const STA_NANO = 0x2000;

/**
 * struct timex on LP64 Linux: `int modes`, then longs, with `int status`, `int shift` and
 * `int tai` each padded to 8 bytes, `struct timeval time` as two longs, and 11 reserved ints.
 * The same on every 64-bit architecture the kernel supports (the byte order aside).
 */
export const TIMEX_SIZE = 208;
const OFFSETS = {
  offset: 8,
  freq: 16,
  maxerror: 24,
  esterror: 32,
  status: 40,
  constant: 48,
  precision: 56,
  tolerance: 64,
  // time (a struct timeval) at 72 and 80: not read.
  tick: 88,
  ppsfreq: 96,
  jitter: 104,
  shift: 112,
  stabil: 120,
  jitcnt: 128,
  calcnt: 136,
  errcnt: 144,
  stbcnt: 152,
  tai: 160,
} as const;
const INT_FIELDS: ReadonlySet<keyof Timex> = new Set(['status', 'shift', 'tai']);

/**
 * Node's names for 64-bit architectures: on 32-bit ones glibc's plain `adjtimex` takes a struct
 * of 32-bit longs, or a 64-bit-time one under another symbol; neither is decoded here.
 */
const LP64_ARCHES: ReadonlySet<string> = new Set(['x64', 'arm64', 'ppc64', 'riscv64', 'loong64', 's390x']);

/** Decodes an LP64 struct timex as the kernel filled it. */
export function decodeTimex(bytes: Uint8Array, littleEndian = os.endianness() === 'LE'): Timex {
  if (bytes.byteLength < TIMEX_SIZE) throw new RangeError(`struct timex needs ${TIMEX_SIZE} bytes, got ${bytes.byteLength}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, number> = {};
  for (const [field, at] of Object.entries(OFFSETS) as [keyof Timex, number][]) {
    out[field] = INT_FIELDS.has(field) ? view.getInt32(at, littleEndian) : Number(view.getBigInt64(at, littleEndian));
  }
  return out as unknown as Timex;
}

/** The kernel refused the call (errno), e.g. EPERM from a seccomp filter. */
export class AdjtimexError extends Error {
  override readonly name = 'AdjtimexError';
  constructor(
    readonly errno: number,
    readonly code: string,
  ) {
    super(`adjtimex: ${code} (errno ${errno})`);
  }
}

/** The call cannot be made from this process at all: wrong platform, no koffi binary, no symbol. */
export class AdjtimexUnavailableError extends Error {
  override readonly name = 'AdjtimexUnavailableError';
}

/** The errno constant's name (EPERM), or `errno <n>` for one Node does not name. */
export function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(os.constants.errno)) if (value === errno) return name;
  return `errno ${errno}`;
}

/**
 * Loads koffi and binds libc's adjtimex; rejects with AdjtimexUnavailableError, saying why, where
 * that cannot work. The returned function reuses one buffer: calls are synchronous.
 */
export async function loadAdjtimex(platform: string = process.platform, arch: string = process.arch): Promise<Adjtimex> {
  if (platform !== 'linux') throw new AdjtimexUnavailableError(`adjtimex is a Linux system call; this is ${platform}`);
  if (!LP64_ARCHES.has(arch)) throw new AdjtimexUnavailableError(`struct timex is decoded for 64-bit Linux only; this is ${arch}`);
  let koffi: Pick<typeof import('koffi'), 'load' | 'errno'>;
  try {
    koffi = await import('koffi');
  } catch (err) {
    throw new AdjtimexUnavailableError(`cannot load koffi (its prebuilt binary for linux-${arch}): ${messageOf(err)}`, { cause: err });
  }
  let call: (buf: Uint8Array) => number;
  try {
    // The process's own symbols: libc is already mapped, whichever it is (glibc or musl).
    call = koffi.load(null).func('adjtimex', 'int', ['void *']) as (buf: Uint8Array) => number;
  } catch (err) {
    throw new AdjtimexUnavailableError(`cannot find adjtimex in the C library: ${messageOf(err)}`, { cause: err });
  }
  const buf = new Uint8Array(TIMEX_SIZE);
  return () => {
    // modes = 0 (read only); the rest is output.
    buf.fill(0);
    const state = call(buf);
    if (state === -1) {
      const errno = koffi.errno();
      throw new AdjtimexError(errno, errnoName(errno));
    }
    return { state, timex: decodeTimex(buf) };
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
