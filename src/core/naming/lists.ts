/**
 * Long lists of names folded for people: numbered families shown as a range
 * with their count (`worker-0 … worker-199 (200)`), the rest cut after a few
 * with "and N more".
 */

interface Family {
  prefix: string;
  suffix: string;
  members: { name: string; n: number }[];
  first: number;
}

const NUMBERED = /^(.*?)(\d+)(\D*)$/;

/**
 * Folds names keeping their first-seen order: repeats become one name with a
 * count, three or more names that differ only in one number become one range;
 * after `max` entries the rest is counted.
 */
export function foldNames(names: readonly string[], max = 8): string {
  const entries: (string | Family)[] = [];
  const families = new Map<string, Family>();
  // The same name several times: once, with its count ("handles a request ×11").
  const times = new Map<string, number>();
  for (const name of names) times.set(name, (times.get(name) ?? 0) + 1);
  for (const [name, n] of times) {
    if (n > 1) {
      entries.push(`${name} ×${n}`);
      continue;
    }
    const m = NUMBERED.exec(name);
    if (!m) {
      entries.push(name);
      continue;
    }
    const key = `${m[1]}\0${m[3]}`;
    let f = families.get(key);
    if (!f) {
      f = { prefix: m[1], suffix: m[3], members: [], first: entries.length };
      families.set(key, f);
      entries.push(f);
    }
    f.members.push({ name, n: Number(m[2]) });
  }
  const parts: string[] = [];
  for (const e of entries) {
    if (typeof e === 'string') parts.push(e);
    else if (e.members.length < 3) parts.push(...e.members.map((x) => x.name));
    else {
      const sorted = [...e.members].sort((x, y) => x.n - y.n);
      parts.push(`${sorted[0].name} … ${sorted[sorted.length - 1].name} (${e.members.length})`);
    }
  }
  if (parts.length <= max) return parts.join(', ');
  return `${parts.slice(0, max).join(', ')} and ${parts.length - max} more`;
}

/** "1 thread", "4 threads". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
