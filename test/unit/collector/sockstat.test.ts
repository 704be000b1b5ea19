import { readFile } from 'node:fs/promises';
import test from 'ava';
import { sockstatCollector } from '../../../src/collector/sockstat.js';
import { systemPageSize } from '../../../src/hostfs/page-size.js';
import { parseAuxvPageSize } from '../../../src/procfs/auxv.js';
import { parseSockstat } from '../../../src/procfs/sockstat.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';

const scrape = (scenario: string) => collect(['sockstat'], ['--path.procfs', fixture('sockstat', scenario)], [sockstatCollector]);

const seriesNames = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('node_sockstat_'))
    .map((l) => l.split(' ')[0]);

/** An auxiliary vector of (type, value) words, as the kernel lays it out. */
function auxv(pairs: Array<[number, number]>, wordBytes: 4 | 8, littleEndian: boolean): Uint8Array {
  const view = new DataView(new ArrayBuffer(pairs.length * 2 * wordBytes));
  pairs.flat().forEach((word, i) => {
    if (wordBytes === 8) view.setBigUint64(i * 8, BigInt(word), littleEndian);
    else view.setUint32(i * 4, word, littleEndian);
  });
  return new Uint8Array(view.buffer);
}

test('parseAuxvPageSize finds AT_PAGESZ in 64-bit and 32-bit vectors of either byte order', (t) => {
  // AT_HWCAP (16), AT_PAGESZ (6), AT_CLKTCK (17), AT_NULL.
  const entries: Array<[number, number]> = [[16, 0xbfebfbff], [6, 65536], [17, 100], [0, 0]];
  t.is(parseAuxvPageSize(auxv(entries, 8, true), { wordBytes: 8, littleEndian: true }), 65536);
  t.is(parseAuxvPageSize(auxv(entries, 8, false), { wordBytes: 8, littleEndian: false }), 65536);
  t.is(parseAuxvPageSize(auxv(entries, 4, true), { wordBytes: 4, littleEndian: true }), 65536);
  // Stops at AT_NULL; a vector without AT_PAGESZ, or cut short, gives undefined.
  t.is(parseAuxvPageSize(auxv([[16, 1], [0, 0], [6, 4096]], 8, true), { wordBytes: 8, littleEndian: true }), undefined);
  t.is(parseAuxvPageSize(auxv(entries, 8, true).subarray(0, 20), { wordBytes: 8, littleEndian: true }), undefined);
  t.is(parseAuxvPageSize(new Uint8Array(0), { wordBytes: 8, littleEndian: true }), undefined);
});

test('systemPageSize agrees with the kernel page size of our own mappings', async (t) => {
  const pageSize = await systemPageSize();
  const smaps = await readFile('/proc/self/smaps', 'utf8');
  const kernelPageKiB = Number(/^KernelPageSize:\s+(\d+) kB$/m.exec(smaps)?.[1]);
  t.is(pageSize, kernelPageKiB * 1024);
});

test('parseSockstat reads the used count and every protocol line', (t) => {
  const stat = parseSockstat('sockets: used 12\nTCP: inuse 3 orphan 0 tw 1 alloc 4 mem 5\nFRAG: inuse 0 memory 0\n');
  t.is(stat.used, 12);
  t.deepEqual(
    stat.protocols.map((p) => [p.protocol, [...p.values]]),
    [
      ['TCP', [['inuse', 3], ['orphan', 0], ['tw', 1], ['alloc', 4], ['mem', 5]]],
      ['FRAG', [['inuse', 0], ['memory', 0]]],
    ],
  );
  t.is(parseSockstat('TCP6: inuse 2\n').used, undefined);
});

test('parseSockstat rejects odd pairs, non-numbers, lines without a colon and empty input', (t) => {
  t.throws(() => parseSockstat('TCP: inuse 3 orphan\n'), { message: /expected "Proto: key value \.\.\.", got "TCP: inuse 3 orphan"/ });
  t.throws(() => parseSockstat('TCP:\n'), { message: /expected "Proto: key value/ });
  t.throws(() => parseSockstat('TCP inuse 3\n'), { message: /expected "Proto: key value/ });
  t.throws(() => parseSockstat('TCP: inuse three\n'), { message: /TCP inuse: expected an integer, got "three"/ });
  t.throws(() => parseSockstat('sockets: total 3\n'), { message: /"sockets" line without "used"/ });
  t.throws(() => parseSockstat(''), { message: /no sockstat lines/ });
});

test('sockstat serves IPv4 and IPv6 gauges with mem_bytes = pages x page size', async (t) => {
  const r = await scrape('modern');
  const pageSize = await systemPageSize();
  t.is(r.success['sockstat'], 1);
  t.deepEqual(seriesNames(r.text), [
    'node_sockstat_FRAG6_inuse', 'node_sockstat_FRAG6_memory', 'node_sockstat_FRAG_inuse', 'node_sockstat_FRAG_memory',
    'node_sockstat_RAW6_inuse', 'node_sockstat_RAW_inuse', 'node_sockstat_TCP6_inuse', 'node_sockstat_TCP_alloc',
    'node_sockstat_TCP_inuse', 'node_sockstat_TCP_mem', 'node_sockstat_TCP_mem_bytes', 'node_sockstat_TCP_orphan',
    'node_sockstat_TCP_tw', 'node_sockstat_UDP6_inuse', 'node_sockstat_UDPLITE6_inuse', 'node_sockstat_UDPLITE_inuse',
    'node_sockstat_UDP_inuse', 'node_sockstat_UDP_mem', 'node_sockstat_UDP_mem_bytes', 'node_sockstat_sockets_used',
  ]);
  t.is(valueOf(r.text, 'node_sockstat_sockets_used'), 1721);
  t.is(valueOf(r.text, 'node_sockstat_TCP_tw'), 229);
  t.is(valueOf(r.text, 'node_sockstat_TCP_mem'), 352);
  t.is(valueOf(r.text, 'node_sockstat_TCP_mem_bytes'), 352 * pageSize);
  t.is(valueOf(r.text, 'node_sockstat_UDP_mem_bytes'), 17 * pageSize);
  t.is(valueOf(r.text, 'node_sockstat_FRAG_memory'), 4096, 'FRAG memory is already in bytes');
  t.is(valueOf(r.text, 'node_sockstat_TCP6_inuse'), 11);
  t.regex(r.text, /# HELP node_sockstat_sockets_used Number of IPv4 sockets in use\.\n# TYPE node_sockstat_sockets_used gauge\n/);
  t.regex(r.text, /# HELP node_sockstat_TCP_mem_bytes Number of TCP sockets in state mem_bytes\.\n# TYPE node_sockstat_TCP_mem_bytes gauge\n/);
  t.regex(r.text, /# HELP node_sockstat_UDP6_inuse Number of UDP6 sockets in state inuse\.\n/);
});

test('an old kernel without IPv6: shorter lines, no sockstat6', async (t) => {
  const r = await scrape('old-kernel-no-ipv6');
  t.is(r.success['sockstat'], 1);
  t.deepEqual(seriesNames(r.text), [
    'node_sockstat_FRAG_inuse', 'node_sockstat_FRAG_memory', 'node_sockstat_RAW_inuse', 'node_sockstat_TCP_alloc',
    'node_sockstat_TCP_inuse', 'node_sockstat_TCP_mem', 'node_sockstat_TCP_mem_bytes', 'node_sockstat_TCP_orphan',
    'node_sockstat_TCP_tw', 'node_sockstat_UDP_inuse', 'node_sockstat_sockets_used',
  ]);
  t.true(r.logs.some((l) => l.includes('level=DEBUG') && l.includes('sockstat6 statistics not found')));
});

test('malformed sockstat files give success 0 and no series; no files at all is "no data"', async (t) => {
  for (const scenario of ['odd-pairs', 'non-numeric', 'empty']) {
    const r = await scrape(scenario);
    t.is(r.success['sockstat'], 0, scenario);
    t.deepEqual(seriesNames(r.text), [], scenario);
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('sockstat')), scenario);
  }
  const missing = await scrape('does-not-exist');
  t.is(missing.success['sockstat'], 0);
  t.true(missing.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
});
