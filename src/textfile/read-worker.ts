/**
 * Runs in a worker thread of the textfile collector's WorkerCallPool: one readTextfiles per
 * message (worker-pool.ts's protocol). A read that hangs (a textfile on a dead NFS mount)
 * then blocks only this thread, not the event loop and not libuv's shared thread pool.
 */
import { parentPort } from 'node:worker_threads';
import { readTextfiles, type TextfileListing, type TextfileRequest } from './read-dir.js';

export type TextfileReply =
  | ({ readonly id: number } & TextfileListing)
  /** The worker itself failed (a bug): the collector reports it as a scrape error. */
  | { readonly id: number; readonly failure: string };

const port = parentPort;
if (port) {
  port.on('message', (request: TextfileRequest & { readonly id: number }) => {
    let reply: TextfileReply;
    try {
      reply = { id: request.id, ...readTextfiles(request) };
    } catch (err) {
      reply = { id: request.id, failure: (err as Error).message };
    }
    // The bytes are moved to the main thread, not copied.
    port.postMessage(reply, 'data' in reply ? [reply.data.buffer as ArrayBuffer] : []);
  });
  port.postMessage({ ready: true });
}
