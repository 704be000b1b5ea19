/** Worker thread entry: parses one config text and posts the result back (see file.ts for why). */
import { parentPort, workerData } from 'node:worker_threads';
import { parseConfig, parseWebConfig } from './load.js';
import { toTransferable } from './transfer.js';

export interface ParseRequest {
  readonly text: string;
  readonly file: string;
  /** The exporter's --config.file, or exporter-toolkit's --web.config.file. */
  readonly kind: 'exporter' | 'web';
}

/** The validated config (as toTransferable makes it: plain data only), or why there is none. */
export type ParseReply = { readonly ok: true; readonly config: unknown } | { readonly ok: false; readonly message: string };

if (parentPort) {
  const { text, file, kind } = workerData as ParseRequest;
  let reply: ParseReply;
  try {
    reply = { ok: true, config: toTransferable(kind === 'web' ? parseWebConfig(text, file) : parseConfig(text, file)) };
  } catch (err) {
    // parseConfig throws ConfigErrors only, whose message names the file.
    reply = { ok: false, message: (err as Error).message };
  }
  parentPort.postMessage(reply);
}
