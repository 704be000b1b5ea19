import { parseUint } from '../procfs/parse.js';
import { ParseError } from '../lib/parse-error.js';

/** One cgroup v1 hierarchy a process belongs to: its controllers and the path inside it. */
export interface V1Membership {
  /** e.g. ['memory'], ['cpu', 'cpuacct'] or ['name=systemd'] for a named hierarchy. */
  readonly controllers: readonly string[];
  readonly path: string;
}

/** Where a process sits in the cgroup hierarchies, from /proc/<pid>/cgroup. */
export interface CgroupMembership {
  readonly v1: readonly V1Membership[];
  /** The path from the `0::<path>` line (cgroup v2), when the kernel has a unified hierarchy. */
  readonly unified?: string;
}

/**
 * /proc/<pid>/cgroup: one `hierarchy-id:controller-list:path` line per hierarchy. cgroup v2 is
 * the line with id 0 and no controllers. The path is everything after the second colon, since
 * a cgroup's name may itself contain colons.
 */
export function parseProcCgroup(text: string): CgroupMembership {
  const v1: V1Membership[] = [];
  let unified: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) throw new ParseError(`expected "id:controllers:path", got ${JSON.stringify(line)}`);
    const id = parseUint(line.slice(0, first), 'hierarchy id');
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (!path.startsWith('/')) throw new ParseError(`cgroup path must start with "/", got ${JSON.stringify(path)}`);
    if (controllers === '') {
      if (id !== 0) throw new ParseError(`hierarchy ${id} has no controllers: ${JSON.stringify(line)}`);
      unified = path;
    } else {
      v1.push({ controllers: controllers.split(','), path });
    }
  }
  if (v1.length === 0 && unified === undefined) throw new ParseError('no cgroup lines');
  return unified === undefined ? { v1 } : { v1, unified };
}
