/** Text or bytes that are not in the format a parser reads (a malformed /proc file, TZif data, ...). */
export class ParseError extends Error {
  override readonly name = 'ParseError';
}
