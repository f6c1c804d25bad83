/**
 * One Manager object, one id, in a combined trace (mergeTraces.ts): clients
 * that reached one Manager server by different addresses derived different
 * ids for its objects; the calls the server served tie them together.
 */
import { computeFlows } from '../analysis/flows';
import type { TraceStore } from '../trace/traceStore';
import { kindByName, rolesOf } from './idSpaces';


/**
 * One Manager object, one id. A client derives a proxy's id from the
 * manager's address as it reached it (10.77.1.1:50000 here, 10.77.2.1:50000
 * there), so clients on different hosts name one queue differently. The
 * calls they made and the server's handlers of those calls pair by their
 * call key (no id needed): every id a paired call names becomes the id of its
 * handler's object, and all of them one id — the first part's that has a
 * name. Returns how many ids were replaced.
 */
export function unifyReferents(store: TraceStore): number {
  const CALL = kindByName('PROXY_CALL');
  const SERVE = kindByName('PROXY_SERVE');
  if (CALL === undefined || SERVE === undefined) return 0;
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const union = (x: number, y: number): void => {
    const a = find(x);
    const b = find(y);
    if (a !== b) parent.set(b, a);
  };
  for (const f of computeFlows(store)) {
    if (f.from < 0 || store.kind[f.from] !== CALL || store.kind[f.to] !== SERVE) continue;
    const c = store.obj[f.from];
    const s = store.obj[f.to];
    if (c > 0 && s > 0 && c !== s) union(s, c);
  }
  if (parent.size === 0) return 0;
  // The id a group keeps: the first that has a named object (objects keep part order), else its root.
  const keep = new Map<number, number>();
  for (const [id, o] of store.objects) {
    if (!parent.has(id)) continue;
    const root = find(id);
    if (!keep.has(root) && o.label) keep.set(root, id);
  }
  const rename = new Map<number, number>();
  for (const id of parent.keys()) {
    const to = keep.get(find(id)) ?? find(id);
    if (to !== id) rename.set(id, to);
  }
  if (rename.size === 0) return 0;
  for (let i = 0; i < store.length; i++) {
    const r = rolesOf(store.kind[i]);
    if (r.obj === 'auto') {
      const to = rename.get(store.obj[i]);
      if (to !== undefined) store.obj[i] = to;
    }
  }
  for (const [from, to] of rename) {
    const o = store.objects.get(from);
    if (!o) continue;
    store.objects.delete(from);
    if (!store.objects.has(to)) store.objects.set(to, { ...o, id: to });
  }
  return rename.size;
}

