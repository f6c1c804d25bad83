/**
 * The hosts of a combined trace and which host each process goes under.
 *
 * Each part ran on the host of its run (runPlace). A part may also hold
 * processes it only heard of: the dask.distributed workers on other machines
 * a traced Client reported through dask's own channels (run/remoteIngest.ts).
 * Those go under their own host, as the client's trace shows them: the host
 * of a part when one ran there (same name, and one of its addresses, or a
 * loopback address on the reporting part's host), else a host of their own.
 * A reported process whose own trace is one of the parts (a worker traced
 * where it ran: same host, same pid) is dropped with its threads and rows:
 * its own trace has them, and its tasks would be drawn twice.
 *
 * Hosts that share a name (network namespaces of one machine, clones) are
 * labelled by an address only they have, else numbered.
 */
import type { ProcessInfo } from '../trace/traceModel';
import type { TraceStore } from '../trace/traceStore';
import type { MergedHost } from './mergeInfo';
import type { RunPlace } from './runPlace';

/** What a process reported by another process carries (remoteIngest's RemoteProcessFields, as read back). */
export interface ReportedProcess {
  host: string;
  remoteAddress: string;
  remotePid: number;
  /** Its name without a host label (absent in traces written before it was kept). */
  remoteName?: string;
}

/** The fields of a reported process, or undefined for a process the part traced itself. */
export function reportedOf(p: ProcessInfo): ReportedProcess | undefined {
  const r = p as ProcessInfo & Partial<Record<keyof ReportedProcess, unknown>>;
  if (typeof r.host !== 'string' || typeof r.remoteAddress !== 'string') return undefined;
  return {
    host: r.host, remoteAddress: r.remoteAddress,
    remotePid: typeof r.remotePid === 'number' && Number.isSafeInteger(r.remotePid) ? r.remotePid : 0,
    remoteName: typeof r.remoteName === 'string' ? r.remoteName : undefined,
  };
}

/** The IP (or host name) of an address like tcp://10.77.2.2:40000 or tls://[::1]:8786. */
export function addressHost(address: string): string {
  const m = /^[a-z]+:\/\/(\[[^\]]*\]|[^:/]*)/i.exec(address);
  return m ? m[1].replace(/^\[|\]$/g, '') : '';
}

const isLoopback = (ip: string): boolean => /^127\./.test(ip) || ip === '::1' || ip === 'localhost';

/** A part as the host plan needs it. */
export interface PartPlace {
  file: string;
  place: RunPlace | undefined;
  store: TraceStore;
  /** Index of its run's host in the plan's hosts. */
  host: number;
}

export interface HostPlan {
  hosts: MergedHost[];
  /** Per part: process index → host index, for the processes it reported from other hosts. */
  reportedHost: Map<number, number>[];
  /** Per part: process index → its name without a host label (reported processes). */
  baseName: Map<number, string>[];
  /** Per part: indices of reported processes left out (their own trace is a part). */
  dropped: Set<number>[];
}

/** The hosts of the parts' runs (PartPlace.host numbers them), then the hosts of reported processes. */
export function planHosts(parts: PartPlace[]): HostPlan {
  const hosts: MergedHost[] = [];
  for (const p of parts) {
    if (hosts[p.host]) continue;
    const name = p.place?.hostName || (p.place ? 'host' : `unknown host (${p.file})`);
    hosts[p.host] = { id: p.place?.hostId ?? '', label: name, name, addresses: [...(p.place?.hostAddresses ?? [])], pids: [] };
  }
  const runHosts = hosts.length;
  const plan: HostPlan = { hosts, reportedHost: [], baseName: [], dropped: [] };
  for (const part of parts) {
    const reportedHost = new Map<number, number>();
    const baseName = new Map<number, string>();
    const dropped = new Set<number>();
    for (const p of part.store.processes) {
      const r = reportedOf(p);
      if (!r) continue;
      const ip = addressHost(r.remoteAddress);
      let h = -1;
      if (ip && isLoopback(ip) && hosts[part.host].name === r.host) h = part.host;
      for (let i = 0; i < runHosts && h < 0; i++) if (hosts[i].name === r.host && ip && hosts[i].addresses.includes(ip)) h = i;
      for (let i = runHosts; i < hosts.length && h < 0; i++) if (hosts[i].name === r.host && (hosts[i].addresses[0] ?? '') === ip) h = i;
      if (h < 0) h = hosts.push({ id: '', label: r.host, name: r.host, addresses: ip ? [ip] : [], pids: [] }) - 1;
      const ownTrace = h < runHosts && r.remotePid > 0 && parts.some((q) => q !== part && q.host === h && q.store.processByPid(r.remotePid) !== undefined);
      if (ownTrace) dropped.add(p.index);
      else {
        reportedHost.set(p.index, h);
        baseName.set(p.index, r.remoteName ?? withoutLabel(p.name));
      }
    }
    plan.reportedHost.push(reportedHost);
    plan.baseName.push(baseName);
    plan.dropped.push(dropped);
  }
  labelHosts(hosts);
  return plan;
}

/** A reported process's name as remoteIngest wrote it, "<host label>: <name>", without the label. */
function withoutLabel(name: string): string {
  const at = name.indexOf(': ');
  return at >= 0 ? name.slice(at + 2) : name;
}

function labelHosts(hosts: MergedHost[]): void {
  for (const h of hosts) if (!h.name) h.label = h.addresses[0] || 'remote host';
  const byName = new Map<string, MergedHost[]>();
  for (const h of hosts) if (h.name) byName.set(h.name, [...(byName.get(h.name) ?? []), h]);
  for (const same of byName.values()) {
    if (same.length < 2) continue;
    same.forEach((h, i) => {
      const addr = h.addresses.find((a) => !same.some((o) => o !== h && o.addresses.includes(a)));
      h.label = addr ? `${h.name} ${addr}` : `${h.name} #${i + 1}`;
    });
  }
}
