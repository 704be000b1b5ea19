/**
 * /proc/self/auxv: the auxiliary vector the kernel gave this process, as (type, value) pairs of
 * native-endian unsigned longs, ending with AT_NULL. AT_PAGESZ in it is the page size, which is
 * where Go's os.Getpagesize() gets it too; Node.js has no API for it.
 */
const AT_NULL = 0n;
const AT_PAGESZ = 6n;

export interface AuxvLayout {
  /** sizeof(unsigned long): 8 on 64-bit, 4 on 32-bit. */
  readonly wordBytes: 4 | 8;
  readonly littleEndian: boolean;
}

/** The AT_PAGESZ value, or undefined when the vector has none (or is cut short). */
export function parseAuxvPageSize(auxv: Uint8Array, layout: AuxvLayout): number | undefined {
  const view = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
  const word = (offset: number): bigint =>
    layout.wordBytes === 8
      ? view.getBigUint64(offset, layout.littleEndian)
      : BigInt(view.getUint32(offset, layout.littleEndian));
  const entryBytes = 2 * layout.wordBytes;
  for (let offset = 0; offset + entryBytes <= auxv.byteLength; offset += entryBytes) {
    const type = word(offset);
    if (type === AT_NULL) return undefined;
    if (type === AT_PAGESZ) return Number(word(offset + layout.wordBytes));
  }
  return undefined;
}
