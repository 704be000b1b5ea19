/** Runs scheduled checks with the real probers (the same ones /probe uses). */
import type { CollectorContext } from '../collector/collector.js';
import type { CheckConfig } from '../config/schema.js';
import type { Logger } from '../lib/log.js';
import { probeHttp } from '../probe/http.js';
import { debugOnlyLogger } from '../probe/probe-log.js';
import { pingAvailability, probeIcmp } from '../probe/icmp.js';
import { httpOptionsFromCheck, icmpOptionsFromCheck } from '../probe/options.js';
import type { RunnerFactory } from './scheduler.js';

/**
 * A check's prober logs at debug level only: a check every few seconds must not flood the log
 * (its outcome is in the metrics; --log.level=debug shows every step, as blackbox's
 * --log.prober does).
 */
function checkLog(log: Logger, check: CheckConfig): Logger {
  return debugOnlyLogger(log.with({ protocol: check.protocol, target: check.target, ...(check.name !== undefined ? { name: check.name } : {}) }));
}

/**
 * The RunnerFactory for the collector. The first ICMP check starts the one-time detection of
 * the system ping, which logs a warning once if ping is missing, BusyBox or not permitted; ICMP
 * checks then fail with reason "permission" without spawning anything (probeIcmp does that).
 */
export function probeRunners(ctx: CollectorContext): RunnerFactory {
  return (check) => {
    const log = checkLog(ctx.log, check);
    if (check.protocol === 'http') {
      const options = httpOptionsFromCheck(check);
      return (signal) => probeHttp(check.target, options, signal, log);
    }
    void pingAvailability(ctx.log);
    const options = icmpOptionsFromCheck(check);
    return (signal) => probeIcmp(check.target, options, signal, log);
  };
}
