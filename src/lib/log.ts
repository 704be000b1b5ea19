/**
 * A small leveled logger writing promslog's shapes (logfmt or JSON), one line per record on
 * stderr, so log pipelines set up for node_exporter parse ours too.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'logfmt' | 'json';
export type LogFields = Record<string, unknown>;

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export const LOG_FORMATS: readonly LogFormat[] = ['logfmt', 'json'];

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  isEnabled(level: LogLevel): boolean;
  /** A logger that adds `fields` to every record. */
  with(fields: LogFields): Logger;
}

function fieldText(v: unknown): string {
  if (v instanceof Error) return v.message;
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

function logfmtValue(s: string): string {
  return /^[^\s"=\\]+$/.test(s) ? s : JSON.stringify(s);
}

export function formatRecord(format: LogFormat, level: LogLevel, msg: string, fields: LogFields, time: Date): string {
  if (format === 'json') {
    const record: Record<string, unknown> = { time: time.toISOString(), level: level.toUpperCase(), msg };
    for (const [k, v] of Object.entries(fields)) record[k] = v instanceof Error ? v.message : v;
    return JSON.stringify(record);
  }
  let line = `time=${time.toISOString()} level=${level.toUpperCase()} msg=${logfmtValue(msg)}`;
  for (const [k, v] of Object.entries(fields)) line += ` ${k}=${logfmtValue(fieldText(v))}`;
  return line;
}

export function createLogger(
  level: LogLevel = 'info',
  format: LogFormat = 'logfmt',
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  base: LogFields = {},
): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const emit = (l: LogLevel, msg: string, fields?: LogFields): void => {
    if (LOG_LEVELS.indexOf(l) < min) return;
    write(formatRecord(format, l, msg, { ...base, ...fields }, new Date()));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    isEnabled: (l) => LOG_LEVELS.indexOf(l) >= min,
    with: (fields) => createLogger(level, format, write, { ...base, ...fields }),
  };
}

export const silentLogger: Logger = createLogger('error', 'logfmt', () => {});
