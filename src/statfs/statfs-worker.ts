/**
 * Runs in a worker thread started by StatfsPool: one synchronous statfs(2) per message. A
 * syscall that hangs (NFS server gone, FUSE daemon stuck) then blocks only this thread, not
 * the event loop and not libuv's shared thread pool that every other file read uses.
 */
import { statfsSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

export interface StatfsRequest {
  readonly id: number;
  readonly path: string;
}

/** The statfs fields node_exporter uses, as numbers (Go converts them to float64 too). */
export interface FsStats {
  readonly bsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
}

export type StatfsReply =
  /** Sent once the worker has loaded and listens, before any other reply. */
  | { readonly ready: true }
  | { readonly id: number; readonly stats: FsStats }
  | { readonly id: number; readonly error: { readonly code?: string; readonly errno?: number; readonly message: string } };

function statfs(request: StatfsRequest): StatfsReply {
  try {
    const s = statfsSync(request.path);
    return { id: request.id, stats: { bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree } };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { id: request.id, error: { code: e.code, errno: e.errno, message: e.message } };
  }
}

const port = parentPort;
if (port) {
  port.on('message', (request: StatfsRequest) => port.postMessage(statfs(request)));
  port.postMessage({ ready: true } satisfies StatfsReply);
}
