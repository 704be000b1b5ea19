import test from 'ava';
import { Slots } from '../../../src/probe/slots.js';
import { createLogger, silentLogger } from '../../../src/lib/log.js';
import { raceSignal } from '../../../src/probe/abort.js';
import { ipAddrHash, ipBytes, isDomainName, MAX_CONCURRENT_LOOKUPS, resolveTarget } from '../../../src/probe/resolve.js';

const signal = (): AbortSignal => AbortSignal.timeout(15_000);
const lookups = new Slots(MAX_CONCURRENT_LOOKUPS);

test('FNV-32a of the address bytes, as blackbox probe_ip_addr_hash', (t) => {
  // 127.0.0.1 as Debian's blackbox_exporter 0.23 reports it (3.668918509e+09).
  t.is(ipAddrHash('127.0.0.1'), 3668918509);
  // An IPv4-mapped address hashes as its IPv4 form (Go's To4).
  t.is(ipAddrHash('::ffff:127.0.0.1'), 3668918509);
  t.is(ipAddrHash('::1'), ipAddrHash('0:0:0:0:0:0:0:1'));
  t.not(ipAddrHash('::1'), ipAddrHash('::2'));
});

test('IP literal bytes', (t) => {
  t.deepEqual([...ipBytes('10.1.2.3')], [10, 1, 2, 3]);
  t.deepEqual([...ipBytes('::1')], [...Array<number>(15).fill(0), 1]);
  t.deepEqual([...ipBytes('2001:db8::8:800:200c:417a')], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0x08, 0x08, 0, 0x20, 0x0c, 0x41, 0x7a]);
  t.deepEqual([...ipBytes('64:ff9b::192.0.2.33')], [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 33]);
  t.deepEqual([...ipBytes('fe80::1%eth0')], [0xfe, 0x80, ...Array<number>(13).fill(0), 1]);
  t.throws(() => ipBytes('not-an-ip'));
});

test("host names are checked as Go's isDomainName does", (t) => {
  for (const ok of ['localhost', 'example.com', 'example.com.', 'a-b.c_d', '_srv.example', '1a.example', 'x'.repeat(63) + '.test']) t.true(isDomainName(ok), ok);
  for (const bad of ['', '-c', '-c 1000 127.0.0.1', 'a..b', 'a-.b', 'ä.example', 'x'.repeat(64) + '.test', 'a.'.repeat(130) + 'b', '1234', 'a b', 'a;b']) {
    t.false(isDomainName(bad), bad);
  }
});

test('IP literals: the preferred family, fallback, or a failure without fallback', async (t) => {
  const v4 = await resolveTarget('127.0.0.1', 'ip6', true, signal(), silentLogger, lookups);
  t.like(v4, { ok: true, address: '127.0.0.1', family: 4 });
  const strict = await resolveTarget('127.0.0.1', 'ip6', false, signal(), silentLogger, lookups);
  t.like(strict, { ok: false, reason: 'dns' });
  t.like(await resolveTarget('::1', 'ip6', false, signal(), silentLogger, lookups), { ok: true, address: '::1', family: 6 });
});

test('names from /etc/hosts resolve (localhost)', async (t) => {
  const r = await resolveTarget('localhost', 'ip4', true, signal(), silentLogger, lookups);
  t.like(r, { ok: true, family: 4 });
  t.true(r.lookupSeconds >= 0 && r.lookupSeconds < 5);
});

test('invalid names and .invalid fail as dns at once, with blackbox log lines', async (t) => {
  const lines: string[] = [];
  const log = createLogger('debug', 'logfmt', (l) => lines.push(l));
  for (const host of ['no-such-host.invalid', 'x.INVALID.', '-c 5 127.0.0.1', 'ä']) {
    const r = await resolveTarget(host, 'ip4', true, signal(), log, lookups);
    t.like(r, { ok: false, reason: 'dns' }, host);
    t.true(r.lookupSeconds < 0.05, host);
  }
  t.true(lines.some((l) => l.includes('msg="Resolving target address"') && l.includes('ip_protocol=ip4')));
  t.true(lines.some((l) => l.includes('msg="Resolution with IP protocol failed"')));
});

test('an aborted signal gives timeout', async (t) => {
  const r = await resolveTarget('localhost', 'ip4', true, AbortSignal.abort(), silentLogger, lookups);
  t.like(r, { ok: false, reason: 'timeout' });
});

test('raceSignal rejects on abort and leaves no unhandled rejection behind', async (t) => {
  const controller = new AbortController();
  const slow = new Promise<number>((_, reject) => setTimeout(() => reject(new Error('late')), 50));
  const raced = raceSignal(slow, controller.signal);
  controller.abort();
  await t.throwsAsync(raced, { name: 'AbortError' });
  await new Promise((resolve) => setTimeout(resolve, 80));
});
