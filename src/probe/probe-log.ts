/**
 * Loggers for probes. Probers log every step at info, as blackbox_exporter's probers do; the
 * exporter's own log gets those lines at debug only, so checks every few seconds stay quiet,
 * while /probe?debug=true shows them all.
 */
import { createLogger, type LogFields, type Logger } from '../lib/log.js';

/** A logger passing everything to `next` at debug level (for the scheduled checks and /probe). */
export function debugOnlyLogger(next: Logger): Logger {
  const emit = (msg: string, fields?: LogFields): void => next.debug(msg, fields);
  return {
    debug: emit,
    info: emit,
    warn: emit,
    error: emit,
    isEnabled: (level) => level === 'debug' && next.isEnabled('debug'),
    with: (fields) => debugOnlyLogger(next.with(fields)),
  };
}

function tee(a: Logger, b: Logger): Logger {
  return {
    debug: (m, f) => (a.debug(m, f), b.debug(m, f)),
    info: (m, f) => (a.info(m, f), b.info(m, f)),
    warn: (m, f) => (a.warn(m, f), b.warn(m, f)),
    error: (m, f) => (a.error(m, f), b.error(m, f)),
    isEnabled: (level) => a.isEnabled(level) || b.isEnabled(level),
    with: (fields) => tee(a.with(fields), b.with(fields)),
  };
}

/** A logger that records every line of one probe (logfmt) and passes them on at debug level. */
export function recordingProbeLogger(next: Logger, fields: LogFields): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const recorder = createLogger('debug', 'logfmt', (line) => lines.push(line), fields);
  return { log: tee(recorder, debugOnlyLogger(next.with(fields))), lines };
}
