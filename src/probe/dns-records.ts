/**
 * The pure half of the dns prober: resource records as miekg/dns's RR.String() writes them
 * (what blackbox_exporter's validate_*_rrs regexes are matched against), and the checks of an
 * answer's rcode and records (blackbox's validRcode and validRRs).
 */
import type { Answer } from 'dns-packet';
import type { UserRegex } from '../gocompat/user-regex.js';
import type { Logger } from '../lib/log.js';
import { DNS_RCODES } from '../config/dns-names.js';

export interface RrValidator {
  readonly failIfMatches: readonly UserRegex[];
  readonly failIfAllMatch: readonly UserRegex[];
  readonly failIfNotMatches: readonly UserRegex[];
  readonly failIfNoneMatches: readonly UserRegex[];
}

/** A domain name as miekg writes it: fully qualified, the root as ".". */
export function fqdn(name: string): string {
  if (name === '' || name === '.') return '.';
  return name.endsWith('.') ? name : `${name}.`;
}

/** miekg's sprintTxt for one string: quoted, `"` and `\` escaped, bytes outside ' '..'~' as \DDD. */
function quoteTxt(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) out += `\\${String(b).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return `${out}"`;
}

function txtStrings(data: unknown): Uint8Array[] {
  const list = Array.isArray(data) ? data : [data];
  return list.map((s) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : (s as Uint8Array)));
}

/** dns-packet's "UNKNOWN_65" as miekg's "TYPE65" (types) or "CLASS65" (classes). */
function mnemonic(name: string, prefix: 'TYPE' | 'CLASS'): string {
  const m = /^UNKNOWN_(\d+)$/.exec(name);
  return m ? `${prefix}${m[1]}` : name;
}

/** RFC 3597's generic form, which miekg uses for types it does not know. */
function generic(data: unknown): string {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.alloc(0);
  return `\\# ${bytes.length}${bytes.length > 0 ? ` ${bytes.toString('hex')}` : ''}`;
}

/** The record's data part, as miekg writes it for the common types; others in the RFC 3597 form. */
function rdata(rr: Answer): string {
  const data = (rr as { data?: unknown }).data;
  switch (rr.type) {
    case 'A':
    case 'AAAA':
      return String(data);
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return fqdn(String(data));
    case 'MX': {
      const mx = data as { preference?: number; exchange: string };
      return `${mx.preference ?? 0} ${fqdn(mx.exchange)}`;
    }
    case 'SRV': {
      const srv = data as { priority?: number; weight?: number; port: number; target: string };
      return `${srv.priority ?? 0} ${srv.weight ?? 0} ${srv.port} ${fqdn(srv.target)}`;
    }
    case 'SOA': {
      const soa = data as { mname: string; rname: string; serial?: number; refresh?: number; retry?: number; expire?: number; minimum?: number };
      return `${fqdn(soa.mname)} ${fqdn(soa.rname)} ${soa.serial ?? 0} ${soa.refresh ?? 0} ${soa.retry ?? 0} ${soa.expire ?? 0} ${soa.minimum ?? 0}`;
    }
    case 'TXT':
      return txtStrings(data).map(quoteTxt).join(' ');
    case 'HINFO': {
      const h = data as { cpu: string; os: string };
      return `${quoteTxt(Buffer.from(h.cpu))} ${quoteTxt(Buffer.from(h.os))}`;
    }
    case 'CAA': {
      const c = data as { flags?: number; tag: string; value: string };
      return `${c.flags ?? 0} ${c.tag} ${quoteTxt(Buffer.from(c.value))}`;
    }
    default:
      return generic(data);
  }
}

/** One record as miekg/dns's RR.String(): "name.\tTTL\tCLASS\tTYPE\tdata". */
export function rrString(rr: Answer): string {
  const klass = mnemonic(String((rr as { class?: string }).class ?? 'IN'), 'CLASS');
  const ttl = (rr as { ttl?: number }).ttl ?? 0;
  return `${fqdn(rr.name)}\t${ttl}\t${klass}\t${mnemonic(rr.type, 'TYPE')}\t${rdata(rr)}`;
}

/** blackbox's validRcode: the answer's rcode must be one of `valid` (NOERROR when empty). */
export function validRcode(rcode: number, valid: readonly string[], log: Logger): boolean {
  const names = valid.length === 0 ? ['NOERROR'] : valid;
  const codes: number[] = names.map((n) => DNS_RCODES[n as keyof typeof DNS_RCODES]);
  if (codes.includes(rcode)) return true;
  log.error('Rcode is not one of the valid rcodes', { rcode, valid_rcodes: names.join(',') });
  return false;
}

/** blackbox's validRRs: the four regex lists applied to the records' text. */
export function validRrs(records: readonly string[], v: RrValidator, log: Logger): boolean {
  if (records.length === 0 && v.failIfNotMatches.length > 0) {
    log.error('fail_if_not_matches_regexp specified but no RRs returned');
    return false;
  }
  if (records.length === 0 && v.failIfNoneMatches.length > 0) {
    log.error('fail_if_none_matches_regexp specified but no RRs returned');
    return false;
  }
  let anyMatch = false;
  let allMatch = true;
  for (const rr of records) {
    log.debug('Validating RR', { rr });
    for (const re of v.failIfMatches) {
      if (re.test(rr)) {
        log.error('At least one RR matched regexp', { regexp: re.source, rr });
        return false;
      }
    }
    for (const re of v.failIfAllMatch) if (!re.test(rr)) allMatch = false;
    for (const re of v.failIfNotMatches) {
      if (!re.test(rr)) {
        log.error('At least one RR did not match regexp', { regexp: re.source, rr });
        return false;
      }
    }
    for (const re of v.failIfNoneMatches) if (re.test(rr)) anyMatch = true;
  }
  if (v.failIfAllMatch.length > 0 && !allMatch) {
    log.error('Not all RRs matched regexp');
    return false;
  }
  if (v.failIfNoneMatches.length > 0 && !anyMatch) {
    log.error('None of the RRs did matched any regexp');
    return false;
  }
  return true;
}
