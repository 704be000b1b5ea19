/**
 * Reading a response body to its end, bounded in memory: decoded as the module's `compression`
 * says (whatever Content-Encoding claims, as blackbox does) and cut at its `body_size_limit`.
 */
import type { IncomingMessage } from 'node:http';
import zlib from 'node:zlib';
import { abortError, whenAborted } from '../abort.js';
import type { HttpClientOptions } from '../types.js';

/** Bodies are read whole for the regex checks; a bigger one fails the probe instead of filling memory. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * What Go's gzip reader takes from the body when it checks the header (one bufio read): when the
 * header is wrong, blackbox counts the rest of the raw body, without these bytes.
 */
const GZIP_HEADER_READ = 4096;
const GZIP_HEADER_BYTES = 10;

export interface BodyReadOptions {
  /** Keep the text for the regex checks. */
  readonly keep: boolean;
  readonly compression?: HttpClientOptions['compression'];
  readonly limit?: number;
}

export interface Body {
  /** Bytes after decompression, as blackbox's probe_http_uncompressed_body_length. */
  readonly bytes: number;
  /** The body as text, when it was kept and fitted in MAX_BODY_BYTES. */
  readonly text?: string;
  readonly tooLarge: boolean;
  /** The connection failed while reading. */
  readonly error?: Error;
  /** The body could not be decoded, or went past the limit. */
  readonly decodeError?: string;
  /** gzip expected and the body does not start as gzip: nothing was decoded (blackbox's "Failed to get decompressor"). */
  readonly decompressorError?: string;
}

/** Whether `head` (at least its first 10 bytes, or the whole body) starts a gzip stream, as Go's gzip.NewReader checks. */
export function gzipHeaderError(head: Buffer, ended: boolean): string | undefined {
  if (head.length < GZIP_HEADER_BYTES) return ended ? (head.length === 0 ? 'EOF' : 'unexpected EOF') : undefined;
  if (head[0] !== 0x1f || head[1] !== 0x8b || head[2] !== 8) return 'gzip: invalid header';
  return undefined;
}

function decoder(compression: HttpClientOptions['compression']): zlib.Gunzip | zlib.InflateRaw | zlib.BrotliDecompress | undefined {
  switch (compression) {
    case 'gzip':
      return zlib.createGunzip();
    // Go's flate.NewReader reads raw DEFLATE, without a zlib header.
    case 'deflate':
      return zlib.createInflateRaw();
    case 'br':
      return zlib.createBrotliDecompress();
    default:
      return undefined;
  }
}

/** Reads the response to its end, keeping the text only when a regex needs it. */
export function readBody(response: IncomingMessage, options: BodyReadOptions, signal: AbortSignal): Promise<Body> {
  return new Promise((resolve) => {
    let bytes = 0;
    let rawAfterFailedHeader = 0;
    let tooLarge = false;
    let finished = false;
    const chunks: Buffer[] = [];
    let head: Buffer | undefined = options.compression === 'gzip' ? Buffer.alloc(0) : undefined;
    let decompressorError: string | undefined;
    let dec: ReturnType<typeof decoder>;
    const stopListening = whenAborted(signal, () => response.destroy(abortError()));

    const done = (outcome: { error?: Error; decodeError?: string } = {}): void => {
      if (finished) return;
      finished = true;
      stopListening();
      dec?.destroy();
      if (outcome.error || outcome.decodeError) response.destroy();
      const keptText = options.keep && !tooLarge && decompressorError === undefined;
      const text = keptText ? Buffer.concat(chunks).toString('utf8') : undefined;
      resolve({
        bytes: decompressorError !== undefined ? Math.max(0, rawAfterFailedHeader - GZIP_HEADER_READ) : bytes,
        tooLarge,
        ...(text !== undefined ? { text } : {}),
        ...(outcome.error ? { error: outcome.error } : {}),
        ...(outcome.decodeError ? { decodeError: outcome.decodeError } : {}),
        ...(decompressorError !== undefined ? { decompressorError } : {}),
      });
    };

    /** Decoded bytes (or raw ones without compression): counted, cut at the limit, kept for the regexes. */
    const take = (chunk: Buffer): void => {
      if (finished) return;
      const limit = options.limit;
      if (limit !== undefined && bytes + chunk.length > limit) {
        // Go's MaxBytesReader hands over the bytes up to the limit, then fails.
        const room = limit - bytes;
        bytes = limit;
        if (options.keep && !tooLarge) chunks.push(chunk.subarray(0, room));
        done({ decodeError: 'http: request body too large' });
        return;
      }
      bytes += chunk.length;
      if (!options.keep || tooLarge) return;
      if (bytes > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    };

    const startDecoder = (): void => {
      dec = decoder(options.compression);
      if (!dec) return;
      dec.on('data', take);
      dec.once('error', (err) => done({ decodeError: err.message }));
      dec.once('end', () => done());
      dec.on('drain', () => response.resume());
    };

    /** Raw bytes from the connection. */
    const feed = (chunk: Buffer): void => {
      if (decompressorError !== undefined) {
        rawAfterFailedHeader += chunk.length;
        return;
      }
      if (head !== undefined) {
        head = Buffer.concat([head, chunk]);
        const problem = gzipHeaderError(head, false);
        if (problem !== undefined) {
          decompressorError = problem;
          rawAfterFailedHeader = head.length;
          head = undefined;
          return;
        }
        if (head.length < GZIP_HEADER_BYTES) return;
        chunk = head;
        head = undefined;
        startDecoder();
      }
      if (dec) {
        if (!dec.write(chunk)) response.pause();
      } else {
        take(chunk);
      }
    };

    if (options.compression !== 'gzip') startDecoder();
    response.on('data', feed);
    response.once('end', () => {
      if (head !== undefined) {
        decompressorError = gzipHeaderError(head, true);
        rawAfterFailedHeader = head.length;
      }
      if (dec && decompressorError === undefined) dec.end();
      else done();
    });
    response.once('error', (err) => done({ error: err }));
    response.once('aborted', () => done({ error: Object.assign(new Error('response aborted'), { code: 'ECONNRESET' }) }));
  });
}
