/**
 * Which library a thread, an asyncio task or an object belongs to, in the
 * words a user knows: the package the runtime recorded (its folder under
 * site-packages / dist-packages, lib_sites.package_of in the runtime), or for
 * an object the package of the line that created it, with dask's parts under
 * one name ("distributed" is dask's).
 */
import type { TraceStore } from '../trace/traceStore';

/** Packages users know by another name: the library they installed or import. */
const KNOWN_AS: Record<string, string> = { distributed: 'dask' };

/** Vendored copies name the library they vendor (joblib/externals/loky → loky), as the runtime does. */
const VENDOR_DIRS = new Set(['externals', '_vendor', 'vendored']);

/** The name of a library as the user knows it, from its package. */
export function libraryName(pkg: string): string {
  return KNOWN_AS[pkg] ?? pkg;
}

/** The installed package a source file belongs to (lib_sites.package_of), '' for the program's own and the standard library's. */
export function packageOfFile(file: string): string {
  let at = -1;
  for (const marker of ['/site-packages/', '/dist-packages/', '\\site-packages\\', '\\dist-packages\\']) {
    const i = file.lastIndexOf(marker);
    if (i >= 0) at = Math.max(at, i + marker.length);
  }
  if (at < 0) return '';
  const parts = file.slice(at).split(/[\\/]/);
  let name = parts[0];
  for (let i = 1; i < parts.length - 2; i++) {
    if (VENDOR_DIRS.has(parts[i])) {
      name = parts[i + 1];
      break;
    }
  }
  return name.replace(/\.py$/, '').slice(0, 64);
}

/**
 * The library an object belongs to ('' if the program's): an asyncio task the runtime marked as
 * a library's, else a lock, queue or other object created on a line of an installed package.
 */
export function objectLibrary(store: TraceStore, id: number): string {
  const o = store.objects.get(id);
  if (!o) return '';
  if (o.library) return libraryName(o.library);
  const site = o.site >= 0 ? store.sites[o.site] : undefined;
  const pkg = site ? packageOfFile(site.file) : '';
  return pkg ? libraryName(pkg) : '';
}
