/** A Go-style listen address: ":9100", "127.0.0.1:9100", "[::1]:9100", "localhost:9100". */
export interface ListenAddress {
  /** Undefined means every interface, as Go's ":port" does. */
  readonly host: string | undefined;
  readonly port: number;
}

export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) throw new Error(`invalid listen address ${JSON.stringify(text)}: expected [host]:port, e.g. :9100 or 127.0.0.1:9100`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid listen address ${JSON.stringify(text)}: port ${port} is above 65535`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}

export function formatListenAddress(host: string | undefined, port: number): string {
  if (host === undefined) return `:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
