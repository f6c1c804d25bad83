/**
 * Files written safely: traces, reports and exports hold what a program
 * printed and its command line, and may be written by root into folders
 * other users can write to. So a file is written to a temp file of
 * unpredictable name, created exclusively without following symlinks
 * (O_EXCL | O_NOFOLLOW), private (0600), flushed to disk, then renamed over
 * the destination: a planted symlink or file is replaced, never written
 * through, and a reader never sees half a file.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A destination that cannot be written, with a message for one line of output. */
export class DestinationError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

/** A temp name next to `dest`: hidden, unpredictable, recognisable as ours. */
export function tempNameFor(dest: string): string {
  return path.join(path.dirname(dest), `.${path.basename(dest)}.${randomBytes(8).toString('hex')}.tmp`);
}

function reason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT': return 'the folder does not exist';
    case 'ENOTDIR': return 'a part of the path is not a folder';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EROFS': return 'read-only file system';
    case 'ENOSPC': return 'no space left on the device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EISDIR': return 'it is a folder';
    case 'EFBIG': return 'file too large';
    case 'EIO': return 'input/output error';
    default: return err.message.replace(/^[A-Z]+: /, '').split(',')[0];
  }
}

/** "cannot write <file>: <why>" for an fs error. */
export function describeWriteError(dest: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return `cannot write ${dest}: ${e && typeof e === 'object' && 'code' in e ? reason(e) : String(err)}`;
}

/**
 * A file being written: bytes go to a private temp file next to the
 * destination; commit() makes it the destination in one rename, abort()
 * leaves nothing behind.
 */
export class AtomicFile {
  private fd: number;
  private readonly tmp: string;
  private done = false;
  bytesWritten = 0;

  constructor(readonly dest: string, mode = 0o600) {
    let fd = -1;
    let tmp = '';
    // A name collision (astronomically unlikely, or planted) just picks another name.
    for (let attempt = 0; fd < 0; attempt++) {
      tmp = tempNameFor(dest);
      try {
        fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EEXIST' && attempt < 5) continue;
        throw new DestinationError(describeWriteError(dest, err), e.code);
      }
    }
    this.fd = fd;
    this.tmp = tmp;
  }

  /** Appends bytes (a string is written as UTF-8). */
  write(data: Uint8Array | string): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    try {
      while (off < buf.byteLength) off += fs.writeSync(this.fd, buf, off, buf.byteLength - off);
    } catch (err) {
      this.abort();
      throw new DestinationError(describeWriteError(this.dest, err), (err as NodeJS.ErrnoException).code);
    }
    this.bytesWritten += buf.byteLength;
  }

  /** Flushes to disk and renames the temp file over the destination. */
  commit(): void {
    if (this.done) throw new Error('AtomicFile: already finished');
    try {
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      this.fd = -1;
      fs.renameSync(this.tmp, this.dest);
    } catch (err) {
      this.abort();
      throw new DestinationError(describeWriteError(this.dest, err), (err as NodeJS.ErrnoException).code);
    }
    this.done = true;
    syncFolder(path.dirname(this.dest));
  }

  /** Drops the temp file; the destination is untouched. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = -1;
    }
    try {
      fs.unlinkSync(this.tmp);
    } catch {
      // never created or already gone
    }
  }
}

/** The rename is durable once the folder is flushed too (best effort: not every fs allows it). */
function syncFolder(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    fs.fsyncSync(fd);
  } catch {
    // e.g. a FUSE folder without fsync
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** Writes a whole file atomically and privately; chunks may be given one by one. */
export function writeFileAtomic(dest: string, data: Uint8Array | string | Iterable<Uint8Array | string>, mode = 0o600): void {
  const file = new AtomicFile(dest, mode);
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) file.write(data);
    else for (const chunk of data) file.write(chunk);
  } catch (err) {
    file.abort();
    throw err;
  }
  file.commit();
}

/**
 * Checks, before a long run, that `dest` can be written: its folder exists
 * and takes new files (a probe file is created, written and removed), and
 * `dest` is not a folder or a device. Throws DestinationError with the reason.
 */
export function checkDestination(dest: string): void {
  const dir = path.dirname(dest);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    throw new DestinationError(`cannot write ${dest}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? `folder ${dir} does not exist` : reason(err as NodeJS.ErrnoException)}`);
  }
  if (!st.isDirectory()) throw new DestinationError(`cannot write ${dest}: ${dir} is not a folder`);
  let existing: fs.Stats | undefined;
  try {
    existing = fs.lstatSync(dest);
  } catch {
    existing = undefined;
  }
  if (existing?.isDirectory()) throw new DestinationError(`cannot write ${dest}: it is a folder`);
  if (existing && !existing.isFile() && !existing.isSymbolicLink()) {
    throw new DestinationError(`cannot write ${dest}: it exists and is not a regular file`);
  }
  // A probe of one block: a read-only place or a full disk fails here rather than after the run
  // (file systems reserve blocks at write time, so a full one refuses the write itself).
  const probe = new AtomicFile(dest);
  probe.write(Buffer.alloc(4096));
  probe.abort();
}
