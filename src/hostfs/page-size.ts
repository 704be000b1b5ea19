import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { parseAuxvPageSize } from '../procfs/auxv.js';

const FALLBACK_PAGE_SIZE = 4096;
const ARCHS_32_BIT = new Set(['arm', 'ia32', 'mips', 'mipsel', 'ppc', 's390']);

/**
 * The page size of this machine, like Go's os.Getpagesize(): AT_PAGESZ from our own auxiliary
 * vector. It is read from the real /proc, not --path.procfs, because it belongs to the kernel
 * we run on (a mounted host /proc has no "self" for us). 4096 if /proc is not mounted.
 * HostFs.pageSize reads it once.
 */
export function systemPageSize(): Promise<number> {
  return readFile('/proc/self/auxv').then(
    (auxv) =>
      parseAuxvPageSize(auxv, { wordBytes: ARCHS_32_BIT.has(os.arch()) ? 4 : 8, littleEndian: os.endianness() === 'LE' }) ??
      FALLBACK_PAGE_SIZE,
    () => FALLBACK_PAGE_SIZE,
  );
}
