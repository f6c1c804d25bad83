/**
 * `concurrency-trace merge a.ctrace b.ctrace … -o all.ctrace`: one trace of
 * a program whose parts ran under separate `run`s (terminals, machines).
 */
import * as path from 'node:path';
import { MergeError, mergeTraces } from '../core/merge/mergeTraces';
import { describeMerge } from '../core/merge/mergeReport';
import { checkDestination } from '../core/safeFile';
import { jsonSafe, terminalSafeLines } from '../core/terminalText';
import { readTrace, writeTrace } from '../core/traceFile';
import { UsageError, parseFlags } from './flags';
import { say, writeStdout } from './output';

export async function cmdMerge(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { withValue: ['-o', '--out'], switches: ['--json'], stopAtPositional: false });
  const out = flags.values.get('-o') ?? flags.values.get('--out');
  if (!out) throw new UsageError('merge needs -o FILE');
  if (flags.rest.length < 2) throw new UsageError('merge needs at least two trace files');
  const target = path.resolve(out);
  if (flags.rest.some((f) => path.resolve(f) === target)) throw new UsageError(`merge would overwrite its input ${out}: choose another -o`);
  checkDestination(target);
  const inputs = flags.rest.map((file) => ({ file: path.basename(file), store: readTrace(file) }));
  let merged;
  try {
    merged = mergeTraces(inputs);
  } catch (err) {
    if (err instanceof MergeError) {
      say(err.message);
      return 2;
    }
    throw err;
  }
  writeTrace(target, merged.store);
  if (flags.switches.has('--json')) await writeStdout(`${jsonSafe(JSON.stringify(merged.info, null, 2))}\n`);
  else await writeStdout(terminalSafeLines(describeMerge(merged.info)));
  say(`combined trace saved to ${target}`);
  return 0;
}
