/**
 * deploy/kubernetes/, checked offline (no cluster, no kubectl): every manifest parses and
 * validates against the Kubernetes API's schemas (kubernetes-models) and prometheus-operator's
 * (@kubernetes-models/prometheus-operator), with unknown fields refused as `kubectl apply`'s
 * strict field validation does; the pod has the security settings, probes and config the README
 * promises; the kustomize Component, applied to the example's server alone, gives the example's
 * pod; the DaemonSet's arguments start the exporter; the PrometheusRule is what
 * scripts/gen-prometheusrule.mjs makes from rules/ now, and its groups pass promtool's checks
 * and the rule unit tests of rules/tests/. test/serial/kube-play.test.ts runs the example.
 */
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments, parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { parseConfig } from '../../src/config/load.js';
import { PROMTOOL_BIN, REPO_ROOT, requireBinary, runWithInput, startExporter } from '../helpers/exporters.js';

const K8S_DIR = path.join(REPO_ROOT, 'deploy/kubernetes');
const EXAMPLE = path.join(K8S_DIR, 'example/sidecar-example.yaml');
const COMPONENT = path.join(K8S_DIR, 'sidecar-component');
const SIDECAR = 'sidecar-exporter';
const PING_SYSCTL = 'net.ipv4.ping_group_range';

type Obj = Record<string, any>;

/** The validator each API kind is checked with, by apiVersion and kind. */
const MODELS: Record<string, { prototype: { validate(): void } }> = {
  'v1/ConfigMap': ConfigMap,
  'apps/v1/Deployment': Deployment,
  'apps/v1/DaemonSet': DaemonSet,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};
/** kustomize's own files, which no API server sees. */
const KUSTOMIZE_KINDS = new Set(['kustomize.config.k8s.io/v1beta1/Kustomization', 'kustomize.config.k8s.io/v1alpha1/Component']);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = path.join(dir, f);
      if (statSync(p).isDirectory()) return yamlFiles(p);
      return /\.ya?ml$/.test(f) ? [p] : [];
    });
}

/** Every document of a multi-document YAML file; a syntax error throws, naming the file. */
function documents(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${path.relative(REPO_ROOT, file)} document ${i}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as Obj;
  });
}

const typeOf = (o: Obj): string => `${o['apiVersion']}/${o['kind']}`;

function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates an object with its kind's schema, and lists the fields the schema does not know.
 * The schemas allow unknown fields (the API server drops them, and kubectl's strict validation
 * refuses them), so the validator runs on a proxy that records which fields it reads: a field of
 * an object whose fields it never enumerated (a map such as labels or data) and never read is
 * unknown to the schema.
 */
function validate(o: Obj): string[] {
  const model = MODELS[typeOf(o)];
  if (!model) return [`no schema for ${typeOf(o)}`];
  const read = new Map<object, Set<PropertyKey>>();
  const enumerated = new Set<object>();
  const proxies = new WeakMap<object, object>();
  const wrap = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    const known = proxies.get(v);
    if (known) return known;
    const p = new Proxy(v, {
      get(target, key, receiver) {
        let keys = read.get(target);
        if (!keys) read.set(target, (keys = new Set()));
        keys.add(key);
        return wrap(Reflect.get(target, key, receiver));
      },
      ownKeys(target) {
        enumerated.add(target);
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(v, p);
    return p;
  };
  try {
    model.prototype.validate.call(wrap(o));
  } catch (err) {
    return [(err as Error).message];
  }
  const unknown: string[] = [];
  const walk = (v: unknown, at: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`));
    else if (isPlainObject(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (!enumerated.has(v) && !read.get(v)?.has(k)) unknown.push(`${at}.${k}: unknown field`);
        walk(x, `${at}.${k}`);
      }
    }
  };
  walk(o, '');
  return unknown;
}

const allManifests = yamlFiles(K8S_DIR).flatMap((file) => documents(file).map((doc) => ({ file: path.relative(REPO_ROOT, file), doc })));
const exampleDocs = documents(EXAMPLE);
const exampleDeployment = exampleDocs.find((d) => d['kind'] === 'Deployment') as Obj;
const exampleConfigMap = exampleDocs.find((d) => d['kind'] === 'ConfigMap') as Obj;
const podSpec = (d: Obj): Obj => d['spec']['template']['spec'];
const container = (spec: Obj, name: string): Obj => (spec['containers'] as Obj[]).find((c) => c['name'] === name) as Obj;

/** Port number of a container port name (or the number itself). */
function portNumber(c: Obj, port: string | number): number | undefined {
  return typeof port === 'number' ? port : (c['ports'] as Obj[] | undefined)?.find((p) => p['name'] === port)?.['containerPort'];
}

/** Objects with sorted keys, so that comparisons ignore key order. */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (isPlainObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeys(v[k])]));
  return v;
}

// ---- schemas ----

test('every manifest under deploy/kubernetes/ parses and validates against the API schemas, with no unknown field', (t) => {
  t.true(allManifests.length >= 9, `${allManifests.length} documents`);
  // A patch is a partial object: the Component test validates it applied.
  const patches = allManifests
    .filter(({ doc }) => doc['kind'] === 'Component' || doc['kind'] === 'Kustomization')
    .flatMap(({ file, doc }) => ((doc['patches'] ?? []) as Obj[]).map((p) => path.join(path.dirname(file), p['path'])));
  t.true(patches.length > 0);
  for (const { file, doc } of allManifests) {
    if (KUSTOMIZE_KINDS.has(typeOf(doc)) || patches.includes(file)) continue;
    t.deepEqual(validate(doc), [], `${file}: ${typeOf(doc)} ${doc['metadata']?.['name']}`);
  }
  const kinds = new Set(allManifests.map(({ doc }) => doc['kind'] as string));
  for (const kind of ['ConfigMap', 'Deployment', 'DaemonSet', 'PodMonitor', 'PrometheusRule', 'Component', 'Kustomization']) t.true(kinds.has(kind), kind);
});

test('the validation catches a wrong type, a missing required field and a misspelt field (the test above can fail)', (t) => {
  const copy = (): Obj => structuredClone(exampleDeployment);
  const wrongType = copy();
  container(podSpec(wrongType), SIDECAR)['ports'][0]['containerPort'] = '9100';
  t.regex(validate(wrongType).join('\n'), /containerPort must be integer/);
  const noSelector = copy();
  delete noSelector['spec']['selector'];
  t.regex(validate(noSelector).join('\n'), /required property selector/);
  const typo = copy();
  podSpec(typo)['shareProcessNamespce'] = true;
  container(podSpec(typo), SIDECAR)['securityContext']['readOnlyRootFilesytem'] = true;
  t.deepEqual(validate(typo).sort(), ['.spec.template.spec.containers[1].securityContext.readOnlyRootFilesytem: unknown field', '.spec.template.spec.shareProcessNamespce: unknown field']);
  // Maps are not fields: any label, annotation or ConfigMap key is valid.
  const labels = copy();
  labels['metadata']['labels']['anything.example/any-key'] = 'v';
  t.deepEqual(validate(labels), []);
});

// ---- the example pod ----

test('the example pod: shared PID namespace, non-root, read-only, no capabilities, the ping sysctl', (t) => {
  const spec = podSpec(exampleDeployment);
  t.true(spec['shareProcessNamespace']);
  const podSc = spec['securityContext'];
  t.true(podSc['runAsNonRoot']);
  // Numeric: the kubelet cannot check runAsNonRoot against the images' user name (node).
  t.is(podSc['runAsUser'], 1000);
  t.deepEqual(podSc['seccompProfile'], { type: 'RuntimeDefault' });
  t.deepEqual(podSc['sysctls'], [{ name: PING_SYSCTL, value: '0 2147483647' }]);
  t.false(JSON.stringify(exampleDeployment).includes('NET_RAW'), 'the sysctl makes NET_RAW unneeded');
  for (const c of spec['containers'] as Obj[]) {
    const sc = c['securityContext'];
    t.true(sc['readOnlyRootFilesystem'], c['name']);
    t.false(sc['allowPrivilegeEscalation'], c['name']);
    t.deepEqual(sc['capabilities'], { drop: ['ALL'] }, c['name']);
    t.truthy(c['resources']?.['limits']?.['memory'], `${c['name']} has a memory limit`);
    t.truthy(c['resources']?.['requests']?.['memory'], `${c['name']} has a memory request`);
    t.not(c['imagePullPolicy'], 'Always', 'images built locally are not pulled');
  }
  t.deepEqual((spec['containers'] as Obj[]).map((c) => c['image']), ['sidecar-exporter-demo-server:0.1.0', 'sidecar-exporter:0.1.0']);
});

test('the sidecar: probes on /-/healthy and /-/ready at the port it listens on, its config mounted where --config.file points', (t) => {
  const spec = podSpec(exampleDeployment);
  const sidecar = container(spec, SIDECAR);
  const args = sidecar['args'] as string[];
  const listen = args.find((a) => a.startsWith('--web.listen-address='));
  const port = Number(listen?.split(':').at(-1));
  t.is(port, 9100);
  t.is(sidecar['livenessProbe']['httpGet']['path'], '/-/healthy');
  t.is(sidecar['readinessProbe']['httpGet']['path'], '/-/ready');
  t.is(portNumber(sidecar, sidecar['livenessProbe']['httpGet']['port']), port);
  t.is(portNumber(sidecar, sidecar['readinessProbe']['httpGet']['port']), port);
  for (const p of sidecar['ports'] as Obj[]) t.true(/^[a-z0-9-]{1,15}$/.test(p['name']), `${p['name']}: an IANA service name of at most 15 characters`);

  const configFile = args.find((a) => a.startsWith('--config.file='))?.slice('--config.file='.length) ?? '';
  const mount = (sidecar['volumeMounts'] as Obj[]).find((m) => configFile.startsWith(`${m['mountPath']}/`));
  t.truthy(mount, `a volume is mounted above ${configFile}`);
  t.true(mount?.['readOnly']);
  const volume = (spec['volumes'] as Obj[]).find((v) => v['name'] === mount?.['name']);
  t.is(volume?.['configMap']?.['name'], exampleConfigMap['metadata']['name']);
  t.truthy(exampleConfigMap['data'][path.basename(configFile)], `the ConfigMap has ${path.basename(configFile)}`);

  const server = container(spec, 'server');
  t.is(portNumber(server, server['readinessProbe']['httpGet']['port']), 8080);
});

test("the ConfigMap's config is valid for the exporter: the server's group, an HTTP check of the server on localhost, an ICMP check of 127.0.0.1", (t) => {
  const config = parseConfig(exampleConfigMap['data']['config.yml'], 'config.yml');
  const serverRule = config.process_names.find((r) => r.name === 'server');
  // The server image's CMD, as its Dockerfile says.
  const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(path.join(REPO_ROOT, 'loadtest/server/Dockerfile'), 'utf8'))?.[1];
  const cmdline = (JSON.parse(cmd ?? '[]') as string[]).join(' ');
  t.is(cmdline, 'node dist/main.js');
  t.true(serverRule?.cmdline?.some((re) => new RegExp(re.source).test(cmdline)), `the server group matches ${cmdline}`);
  const checks = config.checks.map((c) => [c.protocol, c.target]);
  t.deepEqual(checks, [['http', 'http://localhost:8080/helloWorld'], ['icmp', '127.0.0.1']]);
  t.throws(() => parseConfig(exampleConfigMap['data']['config.yml'].replace('interval: 5s', 'interval: 5 seconds'), 'config.yml'), { message: /interval/ });
});

test("the PodMonitor selects the example pod's labels and names the sidecar's port", (t) => {
  const [monitor] = documents(path.join(K8S_DIR, 'podmonitor.yaml'));
  const labels = exampleDeployment['spec']['template']['metadata']['labels'] as Record<string, string>;
  for (const [k, v] of Object.entries(monitor?.['spec']['selector']['matchLabels'] as Record<string, string>)) t.is(labels[k], v, k);
  const sidecarPorts = (container(podSpec(exampleDeployment), SIDECAR)['ports'] as Obj[]).map((p) => p['name']);
  for (const e of monitor?.['spec']['podMetricsEndpoints'] as Obj[]) t.true(sidecarPorts.includes(e['port']), e['port']);
});

// ---- the kustomize Component ----

/**
 * kustomize's strategic merge for the fields this patch has: objects merge, lists of containers
 * and volumes merge by name (their patchMergeKey), every other list is replaced.
 */
function strategicMerge(base: unknown, patch: unknown, key = ''): unknown {
  if (Array.isArray(base) && Array.isArray(patch) && ['containers', 'initContainers', 'volumes'].includes(key)) {
    const merged = base.map((b: Obj) => {
      const p = (patch as Obj[]).find((x) => x['name'] === b['name']);
      return p ? strategicMerge(b, p) : b;
    });
    return [...merged, ...(patch as Obj[]).filter((p) => !base.some((b: Obj) => b['name'] === p['name']))];
  }
  if (isPlainObject(base) && isPlainObject(patch)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? strategicMerge(base[k], v, k) : v;
    return out;
  }
  return patch;
}

test('the Component: kind Component, its resources exist, its patch targets Deployments', (t) => {
  const [kustomization] = documents(path.join(COMPONENT, 'kustomization.yaml')) as [Obj];
  t.is(kustomization['apiVersion'], 'kustomize.config.k8s.io/v1alpha1');
  t.is(kustomization['kind'], 'Component');
  for (const r of kustomization['resources'] as string[]) t.notThrows(() => statSync(path.join(COMPONENT, r)), r);
  const patches = kustomization['patches'] as Obj[];
  t.is(patches.length, 1);
  t.deepEqual(patches[0]?.['target'], { group: 'apps', version: 'v1', kind: 'Deployment' });
  const [patch] = documents(path.join(COMPONENT, patches[0]?.['path'])) as [Obj];
  t.is(typeOf(patch), 'apps/v1/Deployment');
  // Its ConfigMap is the example's (the part-of label aside).
  const [configMap] = documents(path.join(COMPONENT, 'configmap.yaml')) as [Obj];
  t.deepEqual(configMap['data'], exampleConfigMap['data']);
  t.is(configMap['metadata']['name'], exampleConfigMap['metadata']['name']);
});

test("the Component's patch, applied to the example's server alone, gives the example's pod (a valid Deployment)", (t) => {
  const [patch] = documents(path.join(COMPONENT, 'sidecar-patch.yaml')) as [Obj];
  // The example without what the Component adds: the server's Deployment as a user has it.
  const serverOnly = structuredClone(exampleDeployment);
  const spec = podSpec(serverOnly);
  spec['containers'] = (spec['containers'] as Obj[]).filter((c) => c['name'] !== SIDECAR);
  delete spec['volumes'];
  delete spec['shareProcessNamespace'];
  delete spec['securityContext']['sysctls'];
  delete serverOnly['spec']['template']['metadata']['labels']['sidecar-exporter.io/sidecar'];
  t.deepEqual(validate(serverOnly), []);

  const patched = strategicMerge(serverOnly, { ...patch, metadata: {} }) as Obj;
  t.deepEqual(validate(patched), []);
  const got = podSpec(patched);
  const want = podSpec(exampleDeployment);
  t.deepEqual(got['containers'].map((c: Obj) => c['name']), ['server', SIDECAR]);
  t.deepEqual(container(got, 'server'), container(want, 'server'), "the server's container is untouched");
  t.true(got['shareProcessNamespace']);
  t.deepEqual(got['securityContext'], want['securityContext']);
  t.deepEqual(got['volumes'], want['volumes']);
  t.deepEqual(patched['spec']['template']['metadata']['labels'], exampleDeployment['spec']['template']['metadata']['labels']);
  // The sidecar is the example's, with the pod-level user and seccomp settings on the container
  // (the Component cannot know the pod's).
  const { sysctls: _sysctls, ...podLevel } = want['securityContext'] as Obj;
  const wantSidecar = { ...container(want, SIDECAR), securityContext: { ...podLevel, ...container(want, SIDECAR)['securityContext'] } };
  t.deepEqual(sortedKeys(container(got, SIDECAR)), sortedKeys(wantSidecar));
});

// ---- the host agent ----

const [daemonSet, hostMonitor] = documents(path.join(K8S_DIR, 'host-agent/daemonset.yaml')) as [Obj, Obj];

test("the DaemonSet: node_exporter's role, with the host's /proc, /sys and / read-only and --path.* pointed at them", (t) => {
  const spec = podSpec(daemonSet);
  t.true(spec['hostPID']);
  t.true(spec['hostNetwork']);
  t.true(spec['securityContext']['runAsNonRoot']);
  t.is(spec['securityContext']['runAsUser'], 65534);
  const c = container(spec, SIDECAR);
  t.true(c['securityContext']['readOnlyRootFilesystem']);
  t.deepEqual(c['securityContext']['capabilities'], { drop: ['ALL'] });
  const args = c['args'] as string[];
  const mounts = c['volumeMounts'] as Obj[];
  for (const [flag, hostPath] of [['procfs', '/proc'], ['sysfs', '/sys'], ['rootfs', '/']] as const) {
    const at = args.find((a) => a.startsWith(`--path.${flag}=`))?.split('=')[1];
    const mount = mounts.find((m) => m['mountPath'] === at);
    t.truthy(mount, `--path.${flag}=${at} is a mount`);
    t.true(mount?.['readOnly'], `${at} is read-only`);
    const volume = (spec['volumes'] as Obj[]).find((v) => v['name'] === mount?.['name']);
    t.is(volume?.['hostPath']?.['path'], hostPath);
  }
  t.is(c['livenessProbe']['httpGet']['path'], '/-/healthy');
  t.is(c['readinessProbe']['httpGet']['path'], '/-/ready');
  const labels = daemonSet['spec']['template']['metadata']['labels'] as Record<string, string>;
  for (const [k, v] of Object.entries(hostMonitor['spec']['selector']['matchLabels'] as Record<string, string>)) t.is(labels[k], v);
  t.true((c['ports'] as Obj[]).some((p) => p['name'] === hostMonitor['spec']['podMetricsEndpoints'][0]['port']));
});

test("the DaemonSet's arguments start the exporter, which serves the node's metrics", async (t) => {
  // The container's paths are this machine's own here; the test picks the listen address.
  const args = (container(podSpec(daemonSet), SIDECAR)['args'] as string[])
    .filter((a) => !a.startsWith('--web.listen-address='))
    .map((a) => a.replace(/^(--path\.[a-z]+=)\/host\/(proc|sys)$/, '$1/$2').replace(/^(--path\.rootfs=)\/host\/root$/, '$1/'));
  t.true(args.includes('--path.procfs=/proc') && args.includes('--path.rootfs=/'), args.join(' '));
  const e = await startExporter('ours', args);
  try {
    const text = await e.scrape();
    t.regex(text, /^node_cpu_seconds_total\{cpu="0",mode="idle"\} /m);
    t.regex(text, /^node_filesystem_size_bytes\{/m);
    t.notRegex(text, /^node_network_receive_bytes_total\{device="veth/m);
    t.false(e.output.includes('level=WARN'), e.output);
  } finally {
    await e.stop();
  }
});

// ---- the PrometheusRule ----

const GENERATOR = path.join(REPO_ROOT, 'scripts/gen-prometheusrule.mjs');
const PROMETHEUS_RULE = path.join(K8S_DIR, 'prometheusrule.yaml');

test('prometheusrule.yaml is what scripts/gen-prometheusrule.mjs makes from rules/*.rules.yml now', async (t) => {
  const r = await runWithInput(process.execPath, [GENERATOR, '--stdout'], '', 30_000);
  t.is(r.code, 0, r.stderr);
  t.is(readFileSync(PROMETHEUS_RULE, 'utf8'), r.stdout, 'run `node scripts/gen-prometheusrule.mjs` and commit the result');
  // The same groups as the rule files, in file-name order.
  const [rule] = documents(PROMETHEUS_RULE) as [Obj];
  const ruleFiles = readdirSync(path.join(REPO_ROOT, 'rules')).filter((f) => f.endsWith('.rules.yml')).sort();
  const fromFiles = ruleFiles.flatMap((f) => parseYaml(readFileSync(path.join(REPO_ROOT, 'rules', f), 'utf8')).groups);
  t.deepEqual(rule['spec']['groups'], fromFiles);
});

/** The PrometheusRule's groups whose names are those of one rules/ file, as a rule file. */
function extractedGroups(rule: Obj, sourceFile: string): string {
  const names = (parseYaml(readFileSync(sourceFile, 'utf8')).groups as Obj[]).map((g) => g['name']);
  const groups = (rule['spec']['groups'] as Obj[]).filter((g) => names.includes(g['name']));
  if (groups.length !== names.length) throw new Error(`${sourceFile}: groups ${names.join(', ')} are not all in prometheusrule.yaml`);
  return stringifyYaml({ groups });
}

test("promtool checks the PrometheusRule's groups, and rules/tests/ pass against them", async (t) => {
  if (!requireBinary(t, PROMTOOL_BIN, 'promtool')) return;
  const [rule] = documents(PROMETHEUS_RULE) as [Obj];
  const dir = mkdtempSync(path.join(tmpdir(), 'prometheusrule-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const testsDir = path.join(REPO_ROOT, 'rules/tests');
  const testFiles = readdirSync(testsDir).filter((f) => f.endsWith('.test.yml')).sort();
  t.true(testFiles.length >= 6);
  for (const f of testFiles) {
    const unit = parseYaml(readFileSync(path.join(testsDir, f), 'utf8')) as Obj;
    unit['rule_files'] = (unit['rule_files'] as string[]).map((rf, i) => {
      const extracted = path.join(dir, `${path.basename(f, '.test.yml')}-${i}.rules.yml`);
      writeFileSync(extracted, extractedGroups(rule, path.resolve(testsDir, rf)));
      return path.basename(extracted);
    });
    for (const rf of unit['rule_files'] as string[]) {
      const check = await runWithInput(PROMTOOL_BIN, ['check', 'rules', path.join(dir, rf)], '', 60_000);
      t.is(check.code, 0, `${rf}: ${check.stdout}${check.stderr}`);
    }
    const unitFile = path.join(dir, f);
    writeFileSync(unitFile, stringifyYaml(unit));
    const r = await runWithInput(PROMTOOL_BIN, ['test', 'rules', unitFile], '', 60_000);
    t.is(r.code, 0, `${f} against the PrometheusRule's groups: ${r.stdout}${r.stderr}`);
  }
});
