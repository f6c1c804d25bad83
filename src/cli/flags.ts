/** Command-line flags of the `concurrency-trace` subcommands. */

export class UsageError extends Error {}

export interface Flags {
  values: Map<string, string>;
  switches: Set<string>;
  rest: string[];
}

export interface FlagSpec {
  /** Options that take a value (`--out FILE`, `--out=FILE`). */
  withValue: string[];
  /** Options without a value. */
  switches: string[];
  /** Options whose value is optional and only given inline (`--perturb`, `--perturb=7`): the value, or '' without one. */
  optionalValue?: string[];
  /** Options that take a value and end option parsing, as python's -m and -c (`-m pkg.mod args…`, also `-mpkg.mod`). */
  terminal?: string[];
  /** Stop at the first positional argument: everything after it is left alone (a script's own arguments). */
  stopAtPositional: boolean;
}

export function parseFlags(argv: string[], spec: FlagSpec): Flags {
  const out: Flags = { values: new Map(), switches: new Set(), rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.rest.push(...argv.slice(i + 1));
      break;
    }
    const terminal = spec.terminal?.find((t) => arg === t || (arg.startsWith(t) && !arg.startsWith('--')));
    if (terminal) {
      const value = arg === terminal ? argv[++i] : arg.slice(terminal.length);
      if (value === undefined) throw new UsageError(`${terminal} needs a value`);
      out.values.set(terminal, value);
      out.rest.push(...argv.slice(i + 1));
      break;
    }
    const [name, inline] = arg.startsWith('--') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (spec.withValue.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      out.values.set(name, value);
    } else if (spec.optionalValue?.includes(name)) {
      out.values.set(name, inline ?? '');
    } else if (spec.switches.includes(name)) {
      out.switches.add(name);
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option ${arg}`);
    } else if (spec.stopAtPositional) {
      out.rest.push(...argv.slice(i));
      break;
    } else {
      out.rest.push(arg);
    }
  }
  return out;
}
