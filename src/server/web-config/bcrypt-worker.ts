/**
 * Worker thread entry: compares passwords with bcrypt hashes, one at a time (exporter-toolkit
 * also runs one bcrypt at a time). A compare at cost 10 takes ~100 ms of CPU; here it never
 * holds the event loop that serves scrapes.
 */
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export interface CompareRequest {
  readonly id: number;
  readonly hash: string;
  readonly password: string;
}

export interface CompareReply {
  readonly id: number;
  readonly match: boolean;
}

parentPort?.on('message', ({ id, hash, password }: CompareRequest) => {
  let match = false;
  try {
    match = bcrypt.compareSync(password, hash);
  } catch {
    // A hash bcryptjs cannot read matches nothing; the schema refused malformed ones already.
  }
  parentPort!.postMessage({ id, match } satisfies CompareReply);
});
