/** Reading a response body to its end, bounded in memory. */
import type { IncomingMessage } from 'node:http';
import { abortError, whenAborted } from '../abort.js';

/** Bodies are read whole for the regex checks; a bigger one fails the probe instead of filling memory. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface Body {
  readonly bytes: number;
  /** The body as text, when it was kept and fitted in MAX_BODY_BYTES. */
  readonly text?: string;
  readonly tooLarge: boolean;
  readonly error?: Error;
}

/** Reads the response to its end, keeping the text only when a regex needs it. */
export function readBody(response: IncomingMessage, keep: boolean, signal: AbortSignal): Promise<Body> {
  return new Promise((resolve) => {
    let bytes = 0;
    let tooLarge = false;
    const chunks: Buffer[] = [];
    const stopListening = whenAborted(signal, () => response.destroy(abortError()));
    const done = (error?: Error): void => {
      stopListening();
      const text = keep && !tooLarge ? Buffer.concat(chunks).toString('utf8') : undefined;
      resolve({ bytes, tooLarge, ...(text !== undefined ? { text } : {}), ...(error ? { error } : {}) });
    };
    response.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (!keep || tooLarge) return;
      if (bytes > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    });
    response.once('end', () => done());
    response.once('error', (err) => done(err));
    response.once('aborted', () => done(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
  });
}
