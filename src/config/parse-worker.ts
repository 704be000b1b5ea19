/** Worker thread entry: parses one config text and posts the result back (see file.ts for why). */
import { parentPort, workerData } from 'node:worker_threads';
import { parseConfig } from './load.js';
import type { ExporterFileConfig } from './schema.js';

export interface ParseRequest {
  readonly text: string;
  readonly file: string;
}

/** The validated config (plain data and RegExps, which survive the copy), or why there is none. */
export type ParseReply = { readonly ok: true; readonly config: ExporterFileConfig } | { readonly ok: false; readonly message: string };

if (parentPort) {
  const { text, file } = workerData as ParseRequest;
  let reply: ParseReply;
  try {
    reply = { ok: true, config: parseConfig(text, file) };
  } catch (err) {
    // parseConfig throws ConfigErrors only, whose message names the file.
    reply = { ok: false, message: (err as Error).message };
  }
  parentPort.postMessage(reply);
}
