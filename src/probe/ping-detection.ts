/**
 * Whether the system ping can run ICMP probes, found out once per process. The ICMP prober (and
 * the ping package it drives) is loaded only then: the exporter without icmp checks or /probe
 * requests never loads it.
 */
import type { Logger } from '../lib/log.js';
import type { PingAvailability } from './icmp.js';

/**
 * The result of detectPing, run once per instance; the first call logs a warning when ICMP
 * checks cannot work. The system's ping is the process's, so the wiring makes one and hands it
 * to /probe and to the scheduled checks (in a ProbeEnvironment); call it at start-up so the
 * warning comes before the first check.
 */
export class PingDetection {
  private detection: Promise<PingAvailability> | undefined;

  availability(log?: Logger): Promise<PingAvailability> {
    this.detection ??= import('./icmp.js')
      .then((icmp) => icmp.detectPing())
      .catch((err: unknown): PingAvailability => ({ usable: false, hasPing6: false, problem: `ping detection failed: ${(err as Error).message}` }))
      .then((found) => {
        if (!found.usable) log?.warn('ICMP checks cannot run: they will fail with reason="permission"', { err: found.problem });
        else if (found.problem) log?.warn('system ping looks unhealthy', { err: found.problem });
        return found;
      });
    return this.detection;
  }
}
