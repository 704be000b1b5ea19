/**
 * User names for {{.Username}}: the effective uid looked up in /etc/passwd (as Go's os/user
 * does without cgo), or the uid itself when it has no entry. Read at most once a minute, and
 * only when a template asks for it.
 */
import type { HostFs } from '../hostfs/host-fs.js';

const REFRESH_MS = 60_000;

/** passwd lines: "name:password:uid:gid:gecos:home:shell". Malformed lines are skipped. */
export function parsePasswd(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (!name || uid === undefined || !/^\d+$/.test(uid) || line.startsWith('#')) continue;
    if (!names.has(Number(uid))) names.set(Number(uid), name);
  }
  return names;
}

export class UserNames {
  private names: Promise<Map<number, string>> | undefined;
  private readAt = 0;

  constructor(
    private readonly host: HostFs,
    private readonly passwdFile: string,
  ) {}

  async name(uid: number, signal: AbortSignal): Promise<string> {
    if (!this.names || Date.now() - this.readAt > REFRESH_MS) {
      this.readAt = Date.now();
      this.names = this.host.readText(this.passwdFile, signal).then(parsePasswd, () => new Map<number, string>());
    }
    return (await this.names).get(uid) ?? String(uid);
  }
}
