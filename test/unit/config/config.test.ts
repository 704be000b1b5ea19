import test from 'ava';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfigFile, parseConfig } from '../../../src/config/load.js';
import { HostFs } from '../../../src/hostfs/host-fs.js';

const FILE = 'sidecar.yml';

test('an empty file is a valid config with nothing configured', (t) => {
  t.deepEqual(parseConfig('', FILE), { process_names: [], checks: [], modules: {} });
});

test('a full config parses with defaults filled in', (t) => {
  const c = parseConfig(
    `
process_names:
  - name: "{{.Comm}}"
    comm: [node]
  - name: "app-{{.Matches.svc}}"
    cmdline: ['--service=(?P<svc>\\w+)']
checks:
  - name: api
    protocol: http
    target: http://127.0.0.1:8080/helloWorld
    interval: 10s
  - protocol: icmp
    target: 127.0.0.1
modules:
  http_2xx:
    prober: http
    timeout: 5s
`,
    FILE,
  );
  t.is(c.process_names[0]?.name, '{{.Comm}}');
  t.true(c.process_names[1]?.cmdline?.[0]?.test('--service=billing'));
  const [http, icmp] = c.checks;
  t.is(http?.timeout, 8000, 'timeout defaults to 80% of the interval');
  t.is(http?.protocol === 'http' ? http.method : '', 'GET');
  t.is(icmp?.interval, 15_000);
  t.is(icmp?.timeout, 12_000);
  t.is(icmp?.protocol === 'icmp' ? icmp.ip_protocol : '', 'ip4');
  t.is(c.modules['http_2xx']?.timeout, 5000);
  t.is(c.modules['http_2xx']?.http.preferred_ip_protocol, 'ip6', 'blackbox_exporter\'s default');
  t.true(c.modules['http_2xx']?.http.follow_redirects);
});

function problem(t: import('ava').ExecutionContext, yaml: string, message: RegExp): void {
  const err = t.throws(() => parseConfig(yaml, FILE), { instanceOf: ConfigError });
  t.regex(err?.message ?? '', message);
}

test('problems name the file, the path in it and the line', (t) => {
  problem(t, 'checks:\n  - protocol: http\n    target: http://x\n    interval: 5 seconds\n', /^sidecar\.yml: checks\[0\]\.interval: invalid duration "5 seconds".*\(line 4, column 15\)/);
  problem(t, 'checks:\n  - protocol: smtp\n    target: x\n', /^sidecar\.yml: checks\[0\]\.protocol: protocol must be http, icmp, tcp or dns/);
  problem(t, 'checks:\n  - protocol: http\n    target: ftp://x\n', /checks\[0\]\.target: must be an http:\/\/ or https:\/\/ URL \(line 3, column 13\)/);
  problem(t, 'checks:\n  - protocol: icmp\n    target: "bad host!"\n', /checks\[0\]\.target: must be a host name or an IP address/);
  problem(t, 'checks:\n  - protocol: http\n    target: http://x\n    interval: 10s\n    timeout: 10s\n', /checks\[0\]\.timeout: must be above 0 and below the interval \(10000ms\)/);
  problem(t, 'checks:\n  - protocol: http\n    target: http://x\n    tiemout: 1s\n', /checks\[0\]: unknown field tiemout \(line 4, column 5\)/);
  // A misspelt protocol is an unknown field too, located, before what its absence means.
  problem(t, 'checks:\n  - protocl: http\n    target: http://x\n', /^sidecar\.yml: checks\[0\]: unknown field protocl \(line 2, column 5\)\nsidecar\.yml: checks\[0\]\.protocol: protocol must be http, icmp, tcp or dns$/);
  problem(t, 'checks:\n  - {protocol: icmp, target: 127.0.0.1}\n  - {protocol: icmp, target: 127.0.0.1}\n', /checks\[1\]: repeats the check of icmp 127\.0\.0\.1/);
  problem(t, 'modules:\n  grpc_ok:\n    prober: grpc\n', /modules\.grpc_ok\.prober: prober must be http, icmp, tcp or dns \(grpc, unix and websocket are not supported/);
  problem(t, 'modules:\n  m:\n    prober: http\n    http:\n      proxy_url: http://proxy:3128\n', /modules\.m\.http\.proxy_url: proxies are not supported by sidecar-exporter.*\(line 5, column 18\)/);
  problem(t, 'process_names:\n  - name: x\n', /process_names\[0\]: needs at least one of comm, exe or cmdline/);
  problem(t, 'process_names:\n  - name: "{{.Nope}}"\n    comm: [a]\n', /process_names\[0\]\.name: unknown template \{\{\.Nope\}\}/);
  problem(t, 'process_names:\n  - name: "{{.Matches.x}}"\n    cmdline: [a]\n', /\{\{\.Matches\.x\}\} needs a cmdline regex with a named group/);
  problem(t, 'process_names:\n  - cmdline: ["(unclosed"]\n', /process_names\[0\]\.cmdline\[0\]: invalid regular expression/);
  // RE2 syntax, as blackbox_exporter reads it: JavaScript's lookahead is refused, at its key.
  problem(t, 'modules:\n  m:\n    prober: http\n    http:\n      fail_if_body_matches_regexp: ["(?!ok)"]\n', /modules\.m\.http\.fail_if_body_matches_regexp\[0\]: invalid regular expression "\(\?!ok\)": .*has no lookahead, lookbehind or backreferences \(line 5, column 37\)/);
  problem(t, 'surprise: 1\n', /^sidecar\.yml: \(top level\): unknown field surprise/);
  problem(t, 'checks: [\n', /^sidecar\.yml: invalid YAML: .*\(line \d+, column \d+\)/);
  problem(t, 'checks: 1\nchecks: 2\n', /invalid YAML: Map keys must be unique/);
  problem(t, '- just\n- a list\n', /\(top level\): /);
});

test('alias bombs are refused, not expanded', (t) => {
  const bomb = ['a: &a [x,x,x,x,x,x,x,x,x,x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
  t.throws(() => parseConfig(bomb, FILE), { instanceOf: Error });
});

test('loadConfigFile reads a file and names it when missing', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'config-test-'));
  const file = path.join(dir, 'ok.yml');
  await writeFile(file, 'checks: []\n');
  t.deepEqual((await loadConfigFile(file, new HostFs())).checks, []);
  await t.throwsAsync(loadConfigFile(path.join(dir, 'missing.yml'), new HostFs()), { instanceOf: ConfigError, message: /missing\.yml: cannot read the config file: no such file/ });
});
