/** The checks of the final response (status, headers, body, version, TLS), as blackbox's http prober words them. */
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../lib/log.js';
import type { HeaderMatch, HttpProbeOptions } from '../types.js';

/** blackbox's matchRegularExpressionsOnHeaders; returns the failure to log, if any. */
export function headerMismatch(response: IncomingMessage, fail: readonly HeaderMatch[], failUnless: readonly HeaderMatch[]): string | undefined {
  const valuesOf = (name: string): string[] => {
    // headersDistinct keeps repeated headers apart, as Go's http.Header does.
    return response.headersDistinct[name.toLowerCase()] ?? [];
  };
  for (const [list, wantMatch] of [[fail, false], [failUnless, true]] as const) {
    for (const m of list) {
      const values = valuesOf(m.header);
      if (values.length === 0) {
        if (m.allowMissing) continue;
        return `Missing required header ${m.header}`;
      }
      const matched = values.some((v) => m.regexp.test(v));
      if (matched !== wantMatch) return `Header ${wantMatch ? 'did not match' : 'matched'} regular expression ${m.header}: ${m.regexp.source}`;
    }
  }
  return undefined;
}

export function bodyMismatch(text: string, options: HttpProbeOptions): string | undefined {
  for (const re of options.failIfBodyMatches) if (re.test(text)) return `Body matched regular expression ${re.source}`;
  for (const re of options.failIfBodyNotMatches) if (!re.test(text)) return `Body did not match regular expression ${re.source}`;
  return undefined;
}

/** Whether the final status code is one the options accept (any 2xx when they list none); logs why not. */
export function statusCodeValid(statusCode: number, options: HttpProbeOptions, log: Logger): boolean {
  const valid = options.validStatusCodes;
  if (valid.length > 0 ? valid.includes(statusCode) : statusCode >= 200 && statusCode <= 299) return true;
  log.info(valid.length > 0 ? 'Invalid HTTP response status code' : 'Invalid HTTP response status code, wanted 2xx', {
    status_code: statusCode,
    ...(valid.length > 0 ? { valid_status_codes: `[${valid.join(' ')}]` } : {}),
  });
  return false;
}

/** The HTTP version and fail_if_ssl / fail_if_not_ssl checks; logs each failure, returns whether all passed. */
export function versionAndSslValid(httpVersion: string, ssl: boolean, options: HttpProbeOptions, log: Logger): boolean {
  let valid = true;
  const proto = `HTTP/${httpVersion}`;
  if (options.validHttpVersions.length > 0 && !options.validHttpVersions.includes(proto)) {
    log.error('Invalid HTTP version number', { version: proto });
    valid = false;
  }
  if (ssl && options.failIfSsl) {
    log.error('Final request was over SSL');
    valid = false;
  } else if (!ssl && options.failIfNotSsl) {
    log.error('Final request was not over SSL');
    valid = false;
  }
  return valid;
}
