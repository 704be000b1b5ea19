/**
 * What --web.config.file puts in front of every endpoint, in exporter-toolkit's order: the rate
 * limit (429), the configured response headers, then basic authentication (401 with
 * `WWW-Authenticate: Basic`). It wraps the whole request listener, so /metrics, /probe, /,
 * /-/reload, /-/healthy and /-/ready are all covered, as every handler is in exporter-toolkit.
 */
import type http from 'node:http';
import type { BasicAuth } from './basic-auth.js';
import type { RateLimit, WebConfigStore } from './store.js';

/** golang.org/x/time/rate's token bucket: `burst` tokens at most, one more every interval. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limit.burst;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + (t - this.last) / this.limit.intervalMs);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Go's http.Error: plain text, nosniff, the status text and a newline. */
function goHttpError(res: http.ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(`${text}\n`);
}

export function guardedListener(store: WebConfigStore, auth: BasicAuth, serve: http.RequestListener): http.RequestListener {
  let bucket: TokenBucket | undefined;
  return (req, res) => {
    void (async () => {
      const web = await store.refresh();
      const limit = web.rateLimit;
      if (limit === undefined) bucket = undefined;
      else if (bucket?.limit.intervalMs !== limit.intervalMs || bucket.limit.burst !== limit.burst) bucket = new TokenBucket(limit);
      if (bucket && !bucket.take()) return goHttpError(res, 429, 'Too Many Requests');
      for (const [name, value] of web.headers) res.setHeader(name, value);
      if (web.users.size > 0 && !(await auth.allows(web.users, req.headers.authorization))) {
        res.setHeader('WWW-Authenticate', 'Basic');
        return goHttpError(res, 401, 'Unauthorized');
      }
      serve(req, res);
    })().catch((err: unknown) => {
      // Nothing above throws by design; should it, the request still gets an answer.
      if (!res.headersSent) goHttpError(res, 500, 'Internal Server Error');
      else res.destroy(err as Error);
    });
  };
}
