/**
 * Go's strings.ToValidUTF8(s, "\uFFFD"): each run of bytes that are not valid UTF-8 (as Go's
 * utf8.DecodeRune judges them: no overlong forms, surrogates or code points above U+10FFFF)
 * becomes one U+FFFD. Node's decoder writes one U+FFFD per maximal bad subsequence instead.
 */
export function goValidUtf8(bytes: Uint8Array): string {
  let out = '';
  let validFrom = 0;
  let i = 0;
  while (i < bytes.length) {
    const width = utf8SequenceLength(bytes, i);
    if (width > 0) {
      i += width;
      continue;
    }
    out += Buffer.from(bytes.buffer, bytes.byteOffset + validFrom, i - validFrom).toString('utf8') + '\uFFFD';
    while (i < bytes.length && utf8SequenceLength(bytes, i) === 0) i++;
    validFrom = i;
  }
  return out + Buffer.from(bytes.buffer, bytes.byteOffset + validFrom, bytes.length - validFrom).toString('utf8');
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there starts none. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i] as number;
  if (b < 0x80) return 1;
  // The allowed range of the second byte depends on the first (Go's acceptRanges).
  let length: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) length = 2;
  else if (b >= 0xe0 && b <= 0xef) {
    length = 3;
    if (b === 0xe0) lo = 0xa0;
    if (b === 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    length = 4;
    if (b === 0xf0) lo = 0x90;
    if (b === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + length > bytes.length) return 0;
  const second = bytes[i + 1] as number;
  if (second < lo || second > hi) return 0;
  for (let k = 2; k < length; k++) {
    const c = bytes[i + k] as number;
    if (c < 0x80 || c > 0xbf) return 0;
  }
  return length;
}
