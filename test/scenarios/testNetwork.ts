/**
 * Simulated machines for the multi-host tests: one network namespace per
 * host, made by the test and removed afterwards. The first host is the hub:
 * every other host has a veth pair to it, on a /24 of its own inside
 * 10.77.0.0/16 (host i: hub side 10.77.i.1, its side 10.77.i.2). Only these
 * namespaces, links and addresses are created; nothing outside them changes.
 *
 * Needs `ip netns` (iproute2) and the right to use it (root, or CAP_NET_ADMIN
 * and CAP_SYS_ADMIN): `TestNetwork.create` says why it cannot, for the test
 * to skip with that reason.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface Host {
  name: string;
  /** Network namespace name (ct-<id>-<name>). */
  ns: string;
  /** The address others reach this host at (the hub: as seen from each host, see hubAddressFor). */
  address: string;
}

function ip(args: string[]): { ok: boolean; err: string; out: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 20000 });
  return { ok: r.status === 0, err: `${r.error?.message ?? ''}${r.stderr ?? ''}`.trim(), out: r.stdout ?? '' };
}

export class TestNetwork {
  private readonly namespaces: string[] = [];
  readonly hosts: Host[] = [];

  private constructor(readonly id: string) {}

  /** The network, or the reason it cannot be made here. */
  static create(names: string[]): TestNetwork | string {
    if (process.platform !== 'linux') return 'network namespaces are Linux only';
    if (names.length < 2 || names.length > 250) return 'between 2 and 250 hosts';
    const net = new TestNetwork(randomBytes(3).toString('hex'));
    try {
      const why = net.build(names);
      if (why) {
        net.destroy();
        return why;
      }
    } catch (err) {
      net.destroy();
      return (err as Error).message;
    }
    return net;
  }

  private build(names: string[]): string | undefined {
    for (const name of names) {
      const ns = `ct-${this.id}-${name}`.slice(0, 40);
      const r = ip(['netns', 'add', ns]);
      if (!r.ok) return `ip netns add is not permitted here (${r.err || 'failed'})`;
      this.namespaces.push(ns);
      const up = ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      if (!up.ok) return `cannot bring up lo in a network namespace (${up.err})`;
      this.hosts.push({ name, ns, address: '' });
    }
    const hub = this.hosts[0];
    for (let i = 1; i < this.hosts.length; i++) {
      const h = this.hosts[i];
      const hubEnd = `ct${this.id}h${i}`;
      const end = `ct${this.id}c${i}`;
      const steps: string[][] = [
        ['link', 'add', hubEnd, 'netns', hub.ns, 'type', 'veth', 'peer', 'name', end, 'netns', h.ns],
        ['-n', hub.ns, 'addr', 'add', `10.77.${i}.1/24`, 'dev', hubEnd],
        ['-n', h.ns, 'addr', 'add', `10.77.${i}.2/24`, 'dev', end],
        ['-n', hub.ns, 'link', 'set', hubEnd, 'up'],
        ['-n', h.ns, 'link', 'set', end, 'up'],
      ];
      for (const s of steps) {
        const r = ip(s);
        if (!r.ok) return `cannot set up a veth pair between network namespaces (ip ${s.join(' ')}: ${r.err})`;
      }
      h.address = `10.77.${i}.2`;
    }
    hub.address = '10.77.1.1';
    return this.waitForCarrier();
  }

  /** Until every link has carrier (a veth end can show NO-CARRIER for a while after both ends are up). */
  private waitForCarrier(): string | undefined {
    const deadline = Date.now() + 10000;
    for (;;) {
      const down = this.hosts.filter((h, i) => i > 0 && ip(['-n', h.ns, '-br', 'link', 'show', 'dev', `ct${this.id}c${i}`]).out.split(/\s+/)[1] !== 'UP');
      if (down.length === 0) return undefined;
      if (Date.now() > deadline) return `the links of ${down.map((h) => h.name).join(', ')} have no carrier after 10 s`;
      spawnSync('sleep', ['0.05']);
    }
  }

  host(name: string): Host {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  /** The hub's address on the link to `name`. */
  hubAddressFor(name: string): string {
    const i = this.hosts.indexOf(this.host(name));
    if (i <= 0) return '127.0.0.1';
    return `10.77.${i}.1`;
  }

  /** Starts a command inside a host's namespace (ip netns exec execs it: the child's pid is the command's). */
  spawn(name: string, command: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.host(name).ns, command, ...args], opts);
  }

  /** Pids of what still runs in the test's namespaces (its own processes). */
  pidsInside(): number[] {
    const out: number[] = [];
    for (const ns of this.namespaces) {
      const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 10000 });
      for (const line of (r.stdout ?? '').split('\n')) if (/^\d+$/.test(line.trim())) out.push(Number(line.trim()));
    }
    return out;
  }

  /** Ends what the test left running in its namespaces, then removes them (and with them their links). */
  destroy(): void {
    for (const pid of this.pidsInside()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const ns of this.namespaces.splice(0)) ip(['netns', 'del', ns]);
  }
}
