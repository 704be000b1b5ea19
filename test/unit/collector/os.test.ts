import { mkdir, mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { osCollector } from '../../../src/collector/os.js';
import { MetricSink } from '../../../src/collector/sink.js';
import { parseFlags } from '../../../src/cli/flags.js';
import { HostFs } from '../../../src/hostfs/host-fs.js';
import { HostPaths } from '../../../src/hostfs/paths.js';
import { silentLogger } from '../../../src/lib/log.js';
import { writeText } from '../../../src/exposition/text.js';
import { collect, fixture, testContext, valueOf } from '../../helpers/collect.js';

const scrape = (rootfs: string) => collect(['os'], ['--path.rootfs', rootfs], [osCollector]);

const INFO_HELP =
  "# HELP node_os_info A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.\n# TYPE node_os_info gauge\n";

test('os: /etc/os-release wins over /usr/lib/os-release; info and version as node_exporter writes them', async (t) => {
  const r = await scrape(fixture('os/ubuntu'));
  t.is(r.success['os'], 1);
  t.true(r.text.includes(INFO_HELP));
  t.is(
    valueOf(
      r.text,
      'node_os_info{build_id="",id="ubuntu",id_like="debian",image_id="",image_version="",name="Ubuntu",pretty_name="Ubuntu 22.04.4 LTS",variant="",variant_id="",version="22.04.4 LTS (Jammy Jellyfish)",version_codename="jammy",version_id="22.04"}',
    ),
    1,
  );
  t.regex(
    r.text,
    /# HELP node_os_version Metric containing the major\.minor part of the OS version\.\n# TYPE node_os_version gauge\nnode_os_version\{id="ubuntu",id_like="debian",name="Ubuntu"\} 22\.04\n/,
  );
  t.false(r.text.includes('shadowed'));
  t.false(r.text.includes('node_os_support_end_timestamp_seconds'));
});

test('os: falls back to /usr/lib/os-release and exports SUPPORT_END', async (t) => {
  const r = await scrape(fixture('os/usr-lib-only'));
  t.is(r.success['os'], 1);
  t.is(
    valueOf(
      r.text,
      'node_os_info{build_id="",id="fedora",id_like="",image_id="",image_version="",name="Fedora Linux",pretty_name="Fedora Linux 39 (Server Edition)",variant="Server Edition",variant_id="server",version="39 (Server Edition)",version_codename="",version_id="39"}',
    ),
    1,
  );
  t.is(valueOf(r.text, 'node_os_version{id="fedora",id_like="",name="Fedora Linux"}'), 39);
  t.regex(
    r.text,
    /# HELP node_os_support_end_timestamp_seconds Metric containing the end-of-life date timestamp of the OS\.\n# TYPE node_os_support_end_timestamp_seconds gauge\nnode_os_support_end_timestamp_seconds 1\.7313696e\+09\n/,
  );
});

test('os: quoting, escapes, comments and repeated keys come out as node_exporter shows them', async (t) => {
  const r = await scrape(fixture('os/quoting'));
  t.is(r.success['os'], 1);
  // Label values are escaped in the exposition: \" and \\ ; the tab stays a raw tab.
  t.is(
    valueOf(
      r.text,
      'node_os_info{build_id="second",id="qtl",id_like="rhel fedora",image_id="",image_version="x",name="Quote \\"Test\\" Linux",pretty_name="Café OS / \\\\ tab:\t.",variant="unquoted\\\\backslash",variant_id="mixed single parts",version="3.18.4 (edge)",version_codename="",version_id="3.18.4"}',
    ),
    1,
  );
  t.is(valueOf(r.text, 'node_os_version{id="qtl",id_like="rhel fedora",name="Quote \\"Test\\" Linux"}'), 3.18);
});

test('os: no VERSION_ID means no node_os_version; an empty file gives empty labels', async (t) => {
  const rolling = await scrape(fixture('os/rolling'));
  t.is(rolling.success['os'], 1);
  t.true(rolling.text.includes('node_os_info{build_id="rolling",id="arch",'));
  t.false(rolling.text.includes('node_os_version'));
  const empty = await scrape(fixture('os/empty'));
  t.is(empty.success['os'], 1);
  t.is(
    valueOf(
      empty.text,
      'node_os_info{build_id="",id="",id_like="",image_id="",image_version="",name="",pretty_name="",variant="",variant_id="",version="",version_codename="",version_id=""}',
    ),
    1,
  );
});

test('os: a malformed /etc/os-release fails the collector instead of falling back', async (t) => {
  const r = await scrape(fixture('os/malformed'));
  t.is(r.success['os'], 0);
  t.false(r.text.includes('node_os_info'));
  t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('etc/os-release') && l.includes('unmatched')));
});

test('os: an impossible SUPPORT_END fails the collector', async (t) => {
  const r = await scrape(fixture('os/bad-support-end'));
  t.is(r.success['os'], 0);
  t.false(r.text.includes('node_os_info'));
});

test('os: no os-release file at all is NoData: success 0, logged at debug only', async (t) => {
  const r = await scrape(fixture('os/does-not-exist'));
  t.is(r.success['os'], 0);
  t.false(r.logs.some((l) => l.includes('level=ERROR')));
  t.true(r.logs.some((l) => l.includes('level=DEBUG') && l.includes('no os-release file found')));
});

test('os: the combined tree has a Debian 12 os-release', async (t) => {
  const r = await scrape(fixture('tree/root'));
  t.is(r.success['os'], 1);
  t.is(valueOf(r.text, 'node_os_version{id="debian",id_like="",name="Debian GNU/Linux"}'), 12);
});

/** A HostFs that counts the files it parses. */
class CountingHostFs extends HostFs {
  parsed: string[] = [];
  override parseFile<T>(file: string, parse: (text: string) => T, signal?: AbortSignal): Promise<T> {
    this.parsed.push(path.relative(this.paths.rootfs, file));
    return super.parseFile(file, parse, signal);
  }
}

test('os: the file is read again only when it changes (in place, replaced, or another file takes over)', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'os-release-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  await mkdir(path.join(root, 'etc'));
  await mkdir(path.join(root, 'usr/lib'), { recursive: true });
  const etc = path.join(root, 'etc/os-release');
  await writeFile(path.join(root, 'usr/lib/os-release'), 'ID=fallback\nVERSION_ID=7\n');
  await writeFile(etc, 'ID=first\nVERSION_ID=1.0\n');
  const host = new CountingHostFs(new HostPaths('/proc', '/sys', root));
  t.teardown(() => host.close());
  const collector = osCollector.create(testContext({ host, flags: parseFlags([], []), log: silentLogger }));
  const scrape = async (): Promise<string> => {
    const sink = new MetricSink();
    await collector.update(sink, new AbortController().signal);
    return writeText([...sink.entries()]);
  };
  const version = (text: string): string | undefined => /^node_os_version\{id="([^"]*)",id_like="",name=""\} (\S+)$/m.exec(text)?.slice(1).join(' ');

  t.is(version(await scrape()), 'first 1');
  t.is(version(await scrape()), 'first 1');
  t.deepEqual(host.parsed, ['etc/os-release'], 'unchanged: read once');

  // Rewritten in place; then only its times change.
  await writeFile(etc, 'ID=first\nVERSION_ID=2.25\n');
  t.is(version(await scrape()), 'first 2.25');
  await utimes(etc, new Date(1_000_000), new Date(1_000_000));
  t.is(version(await scrape()), 'first 2.25');
  t.is(host.parsed.length, 3, 'read after each change');

  // Replaced by rename (as package managers do): a new inode.
  await writeFile(`${etc}.new`, 'ID=second\nVERSION_ID=3\n');
  await rename(`${etc}.new`, etc);
  t.is(version(await scrape()), 'second 3');
  t.is(version(await scrape()), 'second 3');
  t.is(host.parsed.length, 4);

  // Removed: the fallback is read, and /etc/os-release again once it is back.
  await rm(etc);
  t.is(version(await scrape()), 'fallback 7');
  t.is(version(await scrape()), 'fallback 7');
  await writeFile(etc, 'ID=back\nVERSION_ID=4\n');
  t.is(version(await scrape()), 'back 4');
  t.deepEqual(host.parsed.slice(4), ['usr/lib/os-release', 'etc/os-release']);

  // A malformed file fails every scrape, as before: a failure is not remembered as the answer.
  await writeFile(etc, 'ID="unterminated\n');
  await t.throwsAsync(scrape(), { message: /unmatched/ });
  await t.throwsAsync(scrape(), { message: /unmatched/ });
});
