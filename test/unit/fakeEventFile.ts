/** Writes event files the way the runtime does (writer.py's layout), for reader tests. */
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

export interface FakeStatus {
  claimed?: number;
  stopTs?: bigint;
  reason?: number;
  errno?: number;
}

/** Slot 0 (header) and slot 1 (status). */
export function header(pid: number, token: string, firstSlot = 2, status: FakeStatus = {}): Buffer {
  const h = Buffer.alloc(128);
  h.write('CTRACE01', 0, 'latin1');
  h.writeUInt32LE(2, 8);
  h.writeUInt32LE(64, 12);
  h.writeBigInt64LE(BigInt(pid), 16);
  h.write(token.slice(0, 16), 24, 'latin1');
  h.writeBigInt64LE(BigInt(firstSlot), 40);
  h.writeBigInt64LE(BigInt(status.claimed ?? 0), 64);
  h.writeBigInt64LE(status.stopTs ?? 0n, 72);
  h.writeInt32LE(status.reason ?? 0, 80);
  h.writeInt32LE(status.errno ?? 0, 84);
  return h;
}

/** A record slot: ts, ident, obj, site, end, a, b, kind. */
export function record(r: FakeRecord): Buffer {
  const b = Buffer.alloc(64);
  b.writeBigInt64LE(r.ts, 0);
  b.writeBigInt64LE(BigInt(r.ident ?? 1), 8);
  b.writeBigInt64LE(BigInt(r.obj ?? 0), 16);
  b.writeBigInt64LE(BigInt(r.site ?? 0), 24);
  b.writeBigInt64LE(r.end ?? 0n, 32);
  b.writeBigInt64LE(BigInt(r.a ?? 0), 40);
  b.writeBigInt64LE(BigInt(r.b ?? 0), 48);
  b.writeBigInt64LE(BigInt(r.kind), 56);
  return b;
}

/** Byte offset of the end field in a record slot. */
export const END_AT = 32;

/** The slots of one string (44 bytes of UTF-8 each), as the runtime's blob() writes them. */
export function stringSlots(id: number, text: string): Buffer[] {
  const data = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let piece = 0, at = 0; piece === 0 || at < data.length; piece++, at += 44) {
    const b = Buffer.alloc(64);
    b.writeUInt32LE(id, 0);
    b.writeUInt32LE(data.length, 4);
    b.writeUInt32LE(piece, 8);
    data.copy(b, 12, at, Math.min(at + 44, data.length));
    b.writeBigInt64LE(-1n, 56);
    out.push(b);
  }
  return out;
}

/** A string's slots as one buffer (put before the records that name it). */
export function blob(id: number, text: string): Buffer {
  return Buffer.concat(stringSlots(id, text));
}

/** A slot the runtime claimed and then marked dropped. */
export function voidSlot(): Buffer {
  const b = Buffer.alloc(64);
  b.writeBigInt64LE(-2n, 56);
  return b;
}

/** A claimed slot not written (yet). */
export const EMPTY_SLOT = (): Buffer => Buffer.alloc(64);

/** Creates dir/p<pid>-test.ctev: header, strings, records, then unwritten room; returns the path without .ctev. */
export function writeProcessFiles(dir: string, pid: number, token: string, records: Buffer[], blobs: Buffer[] = [], status: FakeStatus = {}): string {
  const base = path.join(dir, `p${pid}-test`);
  fs.writeFileSync(`${base}.ctev`, Buffer.concat([header(pid, token, 2, status), ...blobs, ...records, Buffer.alloc(64 * 80)]));
  return base;
}
