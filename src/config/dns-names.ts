/**
 * miekg/dns's names of DNS classes, rcodes and query types, as blackbox_exporter checks a dns
 * module against them. Apart from the schema so that the dns prober can use them without loading
 * the schema validator on the main thread.
 */
/** miekg/dns's StringToClass, which blackbox checks query_class against. */
export const DNS_CLASSES = { IN: 1, CS: 2, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;
/** miekg/dns's StringToRcode names (the extended ones never match a 4-bit header rcode). */
export const DNS_RCODES = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10,
  BADSIG: 16, BADKEY: 17, BADTIME: 18, BADMODE: 19, BADNAME: 20, BADALG: 21, BADTRUNC: 22, BADCOOKIE: 23,
} as const;
/** Query types dns-packet can put in a question (miekg's names, in capitals). */
export const DNS_QUERY_TYPES = [
  'A', 'NS', 'CNAME', 'SOA', 'NULL', 'PTR', 'HINFO', 'MX', 'TXT', 'RP', 'AFSDB', 'SIG', 'KEY', 'AAAA', 'LOC', 'SRV', 'NAPTR', 'KX', 'CERT',
  'DNAME', 'OPT', 'APL', 'DS', 'SSHFP', 'IPSECKEY', 'RRSIG', 'NSEC', 'DNSKEY', 'DHCID', 'NSEC3', 'NSEC3PARAM', 'TLSA', 'HIP', 'CDS', 'CDNSKEY',
  'SVCB', 'HTTPS', 'SPF', 'TKEY', 'TSIG', 'IXFR', 'AXFR', 'ANY', 'URI', 'CAA', 'TA', 'DLV',
] as const;
