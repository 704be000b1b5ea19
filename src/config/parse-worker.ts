/** Worker thread entry: parses one config text and posts the result back (see file.ts for why). */
import { parentPort, workerData } from 'node:worker_threads';
import { parseConfig } from './load.js';
import { toTransferable } from './transfer.js';

export interface ParseRequest {
  readonly text: string;
  readonly file: string;
}

/** The validated config (as toTransferable makes it: plain data only), or why there is none. */
export type ParseReply = { readonly ok: true; readonly config: unknown } | { readonly ok: false; readonly message: string };

if (parentPort) {
  const { text, file } = workerData as ParseRequest;
  let reply: ParseReply;
  try {
    reply = { ok: true, config: toTransferable(parseConfig(text, file)) };
  } catch (err) {
    // parseConfig throws ConfigErrors only, whose message names the file.
    reply = { ok: false, message: (err as Error).message };
  }
  parentPort.postMessage(reply);
}
