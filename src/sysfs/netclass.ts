/**
 * /sys/class/net/<iface>/*: one value per file (Documentation/ABI/testing/sysfs-class-net).
 * The reading is the collector's; this module says which files matter and what they hold.
 */
import { ParseError } from '../lib/parse-error.js';
import { plainIntAt } from '../procfs/parse.js';


/** Attributes kept as text (trimmed): the labels of node_network_info. */
export const NET_CLASS_TEXT_ATTRIBUTES = ['address', 'broadcast', 'duplex', 'ifalias', 'operstate'] as const;

/** Attributes holding an integer, written in decimal or, for dev_id and flags, as 0x hex. */
export const NET_CLASS_INT_ATTRIBUTES = [
  'addr_assign_type',
  'carrier',
  'carrier_changes',
  'carrier_down_count',
  'carrier_up_count',
  'dev_id',
  'dormant',
  'flags',
  'ifindex',
  'iflink',
  'link_mode',
  'mtu',
  'name_assign_type',
  'netdev_group',
  'speed',
  'tx_queue_len',
  'type',
] as const;

export type NetClassTextAttribute = (typeof NET_CLASS_TEXT_ATTRIBUTES)[number];
export type NetClassIntAttribute = (typeof NET_CLASS_INT_ATTRIBUTES)[number];

export const NET_CLASS_ATTRIBUTES: ReadonlySet<string> = new Set([...NET_CLASS_TEXT_ATTRIBUTES, ...NET_CLASS_INT_ATTRIBUTES]);

/**
 * prometheus/procfs reads sysfs attributes with a single 128-byte read(2), so a longer value
 * (an ifalias can be 255 bytes) is cut there; the collector cuts the same way to keep labels equal.
 */
export const SYSFS_READ_LIMIT = 128;

export interface NetClassInterface {
  /** Missing or unreadable text attributes are ''. */
  readonly text: Readonly<Record<NetClassTextAttribute, string>>;
  /** Missing or unreadable integer attributes are absent. */
  readonly ints: Readonly<Partial<Record<NetClassIntAttribute, number>>>;
}

/** An interface's attribute files that could be read: name -> content (a Map will do). */
export interface AttributeFiles {
  get(name: string): string | undefined;
}

/** Builds an interface's record from the attribute files that could be read (name -> content). */
export function parseNetClassInterface(files: AttributeFiles): NetClassInterface {
  const text: Record<NetClassTextAttribute, string> = {
    address: trimmedText(files, 'address'),
    broadcast: trimmedText(files, 'broadcast'),
    duplex: trimmedText(files, 'duplex'),
    ifalias: trimmedText(files, 'ifalias'),
    operstate: trimmedText(files, 'operstate'),
  };
  const ints: Partial<Record<NetClassIntAttribute, number>> = {};
  for (const a of NET_CLASS_INT_ATTRIBUTES) {
    const content = files.get(a);
    if (content !== undefined) ints[a] = parseSysfsInt(content.trim(), a);
  }
  return { text, ints };
}

function trimmedText(files: AttributeFiles, name: NetClassTextAttribute): string {
  return files.get(name)?.trim() ?? '';
}

/** Go's integer literal syntax, single underscores between digits included. */
const GO_INT_LITERAL = /^([+-]?)(0[xX](?:_?[0-9a-fA-F])+|0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0(?:_?[0-7])*|[1-9](?:_?\d)*)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * An int64 read as Go's strconv.ParseInt(s, 0, 64) reads it, which is how procfs reads these
 * files: 0x hex, 0b binary, 0o or a leading 0 for octal, else decimal.
 */
export function parseSysfsInt(text: string, what: string): number {
  // Most files hold a short decimal: read it in place. A leading 0 is octal, and "-0" must be 0.
  const first = text.charCodeAt(text.length > 1 && (text[0] === '-' || text[0] === '+') ? 1 : 0);
  if (first !== 48 || text === '0') {
    const plain = plainIntAt(text, 0, text.length);
    if (!Number.isNaN(plain)) return plain;
  }
  const m = GO_INT_LITERAL.exec(text);
  if (!m) throw new ParseError(`${what}: expected an integer, got ${JSON.stringify(text.slice(0, 40))}`);
  const literal = (m[2] as string).replaceAll('_', '');
  // BigInt reads 0x/0b/0o itself but takes "017" as decimal.
  const unsigned = BigInt(/^0[0-7]+$/.test(literal) ? `0o${literal.slice(1)}` : literal);
  const value = m[1] === '-' ? -unsigned : unsigned;
  if (value < INT64_MIN || value > INT64_MAX) throw new ParseError(`${what}: ${text} is out of the int64 range`);
  return Number(value);
}

/**
 * Read errors that mean "this interface has no such value right now", which procfs skips:
 * a down interface's speed or duplex is EINVAL, phys_port_* on virtual devices EOPNOTSUPP.
 */
export function isUnreadableAttribute(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && ['ENOENT', 'EACCES', 'EPERM', 'EINVAL', 'EOPNOTSUPP', 'ENOTSUP'].includes(code);
}
