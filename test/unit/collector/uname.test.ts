import os from 'node:os';
import test from 'ava';
import { unameCollector } from '../../../src/collector/uname.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';

const scrape = (procfs: string) => collect(['uname'], ['--path.procfs', procfs], [unameCollector]);

/** The series' left-hand side; labels in name order, as the exposition writes them. */
function unameSeries(l: { domainname: string; machine: string; nodename: string; release: string; sysname: string; version: string }): string {
  return `node_uname_info{domainname="${l.domainname}",machine="${l.machine}",nodename="${l.nodename}",release="${l.release}",sysname="${l.sysname}",version="${l.version}"}`;
}

test('uname reads /proc/sys/kernel, strips the newline, and takes machine from os.machine()', async (t) => {
  const r = await scrape(fixture('uname/full'));
  t.is(r.success['uname'], 1);
  t.regex(
    r.text,
    /# HELP node_uname_info Labeled system information as provided by the uname system call\.\n# TYPE node_uname_info gauge\n/,
  );
  const series = unameSeries({
    domainname: 'example.internal',
    machine: os.machine(),
    nodename: 'web-01',
    release: '5.15.0-91-generic',
    sysname: 'Linux',
    version: '#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023',
  });
  t.is(valueOf(r.text, series), 1);
});

test('uname falls back to os.* for missing files, and to "(none)" for the domain name', async (t) => {
  const r = await scrape(fixture('uname/partial'));
  t.is(r.success['uname'], 1);
  const series = unameSeries({
    domainname: '(none)',
    machine: os.machine(),
    nodename: os.hostname(),
    release: '4.19.0-26-amd64',
    sysname: 'Linux',
    version: os.version(),
  });
  t.is(valueOf(r.text, series), 1);
});

test('uname with no procfs at all matches the uname(2) values Node reports', async (t) => {
  const r = await scrape(fixture('uname/does-not-exist'));
  t.is(r.success['uname'], 1);
  t.true(r.text.includes(`sysname="${os.type()}"`));
  t.true(r.text.includes(`release="${os.release()}"`));
  t.true(r.text.includes(`nodename="${os.hostname()}"`));
});

test('uname on this host agrees with os.* (the files are the syscall’s fields)', async (t) => {
  const r = await collect(['uname'], [], [unameCollector]);
  t.is(r.success['uname'], 1);
  t.true(r.text.includes(`nodename="${os.hostname()}",release="${os.release()}",sysname="${os.type()}"`));
  t.true(r.text.includes(`version="${os.version()}"`));
});

test('uname fails (success 0) when a file exists but cannot be read', async (t) => {
  // A directory where a file should be: EISDIR is not "missing", so there is no fallback.
  const r = await scrape(fixture('uname/unreadable'));
  t.is(r.success['uname'], 0);
  t.false(r.text.includes('node_uname_info'));
});

test('uname in the combined tree', async (t) => {
  const r = await scrape(fixture('tree/proc'));
  t.true(r.text.includes('domainname="(none)"'));
  t.true(r.text.includes('nodename="node-fixture",release="6.1.0-18-amd64",sysname="Linux"'));
});
