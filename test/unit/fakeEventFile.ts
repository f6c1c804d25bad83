/** Writes event files the way the runtime does, for reader tests. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface FakeRecord {
  kind: number;
  ts: bigint;
  ident?: number;
  obj?: number;
  site?: number;
  end?: bigint;
  a?: number;
  b?: number;
}

export function header(pid: number, token: string, firstSlot = 1): Buffer {
  const h = Buffer.alloc(64);
  h.write('CTRACE01', 0, 'latin1');
  h.writeUInt32LE(1, 8);
  h.writeUInt32LE(64, 12);
  h.writeBigInt64LE(BigInt(pid), 16);
  h.write(token.slice(0, 16), 24, 'latin1');
  h.writeBigInt64LE(BigInt(firstSlot), 40);
  return h;
}

export function record(r: FakeRecord): Buffer {
  const b = Buffer.alloc(64);
  b.writeBigInt64LE(BigInt(r.kind), 0);
  b.writeBigInt64LE(r.ts, 8);
  b.writeBigInt64LE(BigInt(r.ident ?? 1), 16);
  b.writeBigInt64LE(BigInt(r.obj ?? 0), 24);
  b.writeBigInt64LE(BigInt(r.site ?? 0), 32);
  b.writeBigInt64LE(r.end ?? 0n, 40);
  b.writeBigInt64LE(BigInt(r.a ?? 0), 48);
  b.writeBigInt64LE(BigInt(r.b ?? 0), 56);
  return b;
}

export function blob(id: number, text: string): Buffer {
  const data = Buffer.from(text, 'utf8');
  const h = Buffer.alloc(8);
  h.writeUInt32LE(id, 0);
  h.writeUInt32LE(data.length, 4);
  return Buffer.concat([h, data]);
}

/** Creates dir/p<pid>-test.ctev/.ctbl; returns the base path. */
export function writeProcessFiles(dir: string, pid: number, token: string, records: Buffer[], blobs: Buffer[] = []): string {
  const base = path.join(dir, `p${pid}-test`);
  fs.writeFileSync(`${base}.ctev`, Buffer.concat([header(pid, token), ...records, Buffer.alloc(64 * 80)]));
  fs.writeFileSync(`${base}.ctbl`, Buffer.concat(blobs));
  return base;
}
