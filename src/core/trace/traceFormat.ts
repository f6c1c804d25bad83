/**
 * The .ctrace file format, version 2: chunked, so that a trace of any size is
 * written and read a piece at a time (no 2 GiB Buffer or string limit, no
 * whole-file read), every piece checksummed, and a reader finds every piece
 * from the index at the end without scanning.
 *
 *     magic            "CTRACE-TRACE-v2\n"                     16 bytes
 *     chunk*           header · payload · zero padding to 8
 *                      header: tag (4 ASCII bytes) · u32 payload length
 *                              · u32 crc32 of the payload · u32 count
 *     index chunk      tag "INDX": one 24-byte entry per chunk before it:
 *                      tag · u32 count · u64 offset · u32 length · u32 crc32
 *     trailer          "CTEND-v2" · u64 offset of the index chunk
 *                      · u32 index payload length · u32 crc32 of the 20 bytes before it
 *
 * Chunks, in file order: META (JSON: schema version, event count, table
 * sizes, run metadata; count 1), then the tables PROC, THRD, SITE, OBJS,
 * STRS (JSON arrays, split into chunks of a few MiB; count = items), then
 * EVTS (count = rows; the event columns of those rows, each column padded to
 * 8 bytes: kind u16 · ts f64 · end f64 · thread i32 · obj f64 · site i32 ·
 * a f64 · b f64, little-endian). Integers are little-endian.
 */

export const MAGIC = 'CTRACE-TRACE-v2\n';
export const MAGIC_V1 = 'CTRACE-TRACE-v1\n';
export const TRAILER_MAGIC = 'CTEND-v2';
/**
 * Version of what the tables hold. 3: threads and objects may carry `library` (the package of a
 * library's thread or asyncio task). Files of every version from OLDEST_SCHEMA_VERSION are read.
 */
export const SCHEMA_VERSION = 3;
export const OLDEST_SCHEMA_VERSION = 2;
/** Longest package name kept from a trace file. */
export const MAX_LIBRARY_NAME = 200;

export const CHUNK_HEADER = 16;
export const INDEX_ENTRY = 24;
export const TRAILER_SIZE = 24;

export type ChunkTag = 'META' | 'PROC' | 'THRD' | 'SITE' | 'OBJS' | 'STRS' | 'EVTS' | 'INDX';
export const TABLE_TAGS = ['PROC', 'THRD', 'SITE', 'OBJS', 'STRS'] as const;
export type TableTag = (typeof TABLE_TAGS)[number];
export const CHUNK_TAGS: readonly ChunkTag[] = ['META', ...TABLE_TAGS, 'EVTS', 'INDX'];

/** Rows per EVTS chunk when writing (3.4 MB of columns). */
export const ROWS_PER_CHUNK = 65536;
/** A table chunk is closed once its JSON passes this size. */
export const TABLE_CHUNK_BYTES = 4 << 20;

// Bounds a reader enforces before it allocates or parses anything.
/** Largest payload of one chunk (a single huge printed string still fits). */
export const MAX_CHUNK = 256 << 20;
/** Largest META payload. */
export const MAX_META = 16 << 20;
/** Largest index: 2.8 million chunks, i.e. far more than 10^11 events. */
export const MAX_INDEX = 64 << 20;
/** Rows and table items are addressed by int32 everywhere. */
export const MAX_ROWS = 0x7fffffff;
/** Timestamps are ns on the run clock, from 0 (the run's start) to 2^53 (104 days). */
export const MAX_TS = Number.MAX_SAFE_INTEGER;
/** CPU core numbers (Linux allows up to 8192 CPUs). */
export const MAX_CORES = 8192;

export interface ColumnSpec {
  name: 'kind' | 'ts' | 'end' | 'thread' | 'obj' | 'site' | 'a' | 'b';
  bytes: 2 | 4 | 8;
}

export const COLUMNS: readonly ColumnSpec[] = [
  { name: 'kind', bytes: 2 }, { name: 'ts', bytes: 8 }, { name: 'end', bytes: 8 }, { name: 'thread', bytes: 4 },
  { name: 'obj', bytes: 8 }, { name: 'site', bytes: 4 }, { name: 'a', bytes: 8 }, { name: 'b', bytes: 8 },
];

/** Bytes one event takes in the columns. */
export const BYTES_PER_EVENT = COLUMNS.reduce((n, c) => n + c.bytes, 0);

export const pad8 = (n: number): number => Math.ceil(n / 8) * 8;

/** Payload size of an EVTS chunk of `rows` rows. */
export function eventChunkBytes(rows: number): number {
  let n = 0;
  for (const c of COLUMNS) n += pad8(rows * c.bytes);
  return n;
}

export interface IndexEntry {
  tag: ChunkTag;
  count: number;
  offset: number;
  length: number;
  crc: number;
}
