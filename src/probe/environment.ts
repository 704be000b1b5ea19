/**
 * What the probes of one process share: the slots for DNS lookups (libuv's thread pool is the
 * process's) and the detection of the system ping (the host's). The wiring makes one and hands
 * it to /probe and to the scheduled checks; tests make their own.
 */
import { PingDetection } from './ping-detection.js';
import { MAX_CONCURRENT_LOOKUPS } from './resolve.js';
import { Slots } from './slots.js';

export class ProbeEnvironment {
  readonly lookups = new Slots(MAX_CONCURRENT_LOOKUPS);
  readonly ping = new PingDetection();
}
