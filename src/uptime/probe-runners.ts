/** Runs scheduled checks with the real probers (the same ones /probe uses, from the one table). */
import type { CollectorContext } from '../collector/collector.js';
import type { CheckConfig } from '../config/schema.js';
import type { Logger } from '../lib/log.js';
import type { ProbeEnvironment } from '../probe/environment.js';
import { debugOnlyLogger } from '../probe/probe-log.js';
import { prepareCheck, prepareProtocols } from '../probe/probers.js';
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
 * The RunnerFactory for the collector, probing within `env` (shared with /probe by the
 * wiring). Each check prepares its protocol: the first ICMP check starts the one-time detection
 * of the system ping, which logs a warning once if ping is missing, BusyBox or not permitted.
 */
export function probeRunners(env: ProbeEnvironment, ctx: CollectorContext): RunnerFactory {
  return (check) => {
    const log = checkLog(ctx.log, check);
    prepareProtocols([check.protocol], env, ctx.log);
    const probe = prepareCheck(check);
    return (signal) => probe(signal, log, env);
  };
}
