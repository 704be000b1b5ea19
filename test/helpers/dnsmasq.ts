/**
 * Debian's dnsmasq on a loopback port, answering for the test domain svc.test only: A records
 * (--address answers every name under it with 127.0.0.7), a TXT, an MX and a CNAME; names under
 * nx.test are NXDOMAIN; anything else (and SOA queries) is REFUSED, there being no upstream.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createSocket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';
import { freePort } from './exporters.js';

export const DNSMASQ_BIN = process.env['DNSMASQ_BIN'] ?? '/usr/sbin/dnsmasq';

export function dnsmasqInstalled(): boolean {
  try {
    accessSync(DNSMASQ_BIN, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface Dnsmasq {
  readonly port: number;
  stop(): Promise<void>;
}

/** One A query for `name`, answered within 300 ms, or undefined. */
function ask(port: number, name: string): Promise<dnsPacket.DecodedPacket | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (answer: dnsPacket.DecodedPacket | undefined): void => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => done(undefined), 300);
    socket.on('error', () => done(undefined));
    socket.on('message', (msg) => done(dnsPacket.decode(msg)));
    socket.send(dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'A', name }] }), port, '127.0.0.1');
  });
}

export async function startDnsmasq(): Promise<Dnsmasq> {
  const port = await freePort();
  const args = [
    '--no-daemon',
    '--keep-in-foreground',
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    '--user=',
    '--pid-file=',
    '--conf-file=/dev/null',
    '--log-facility=-',
    '--address=/svc.test/127.0.0.7',
    // No shell: the strings go as they are (quotes would be part of them).
    '--txt-record=txt.svc.test,v=probe1,second string',
    '--address=/nx.test/',
    '--mx-host=svc.test,mail.svc.test,10',
    '--cname=alias.svc.test,www.svc.test',
    '--host-record=www.svc.test,127.0.0.8',
  ];
  const child: ChildProcess = spawn(DNSMASQ_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    if (output.length < 1 << 16) output += c;
  });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && child.exitCode === null) {
    if ((await ask(port, 'svc.test')) !== undefined) return { port, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`dnsmasq did not answer on 127.0.0.1:${port}: ${output}`);
}
