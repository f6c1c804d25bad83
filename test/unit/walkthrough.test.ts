/**
 * The "Get started" walkthrough and the .vsix: every lesson of core/setup/examples
 * linked from exactly one step (which is ticked off by running it), every
 * step's page present, and the package holding what the walkthrough opens.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { EXAMPLE_LESSONS } from '../../src/core/setup/examples';

const ROOT = path.resolve(__dirname, '..', '..');

interface Step {
  id: string;
  description: string;
  media: { markdown?: string };
  completionEvents?: string[];
}
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { walkthroughs: { id: string; steps: Step[] }[]; commands: { command: string }[] } };
const steps = manifest.contributes.walkthroughs[0].steps;

/** The lesson ids a step's description runs (command:concurrencyTrace.runExample?["id"] links). */
function linkedLessons(step: Step): string[] {
  return [...step.description.matchAll(/\(command:concurrencyTrace\.runExample\?([^)]+)\)/g)].map((m) => {
    const args = JSON.parse(decodeURIComponent(m[1])) as unknown[];
    assert.equal(args.length, 1);
    return String(args[0]);
  });
}

test('every lesson is linked from exactly one walkthrough step, in the lessons\' order, and running it ticks that step off', () => {
  const linked = steps.flatMap(linkedLessons);
  assert.deepEqual(linked, EXAMPLE_LESSONS.map((l) => l.id));
  for (const step of steps) {
    const ids = linkedLessons(step);
    if (!ids.length) continue;
    assert.deepEqual(step.completionEvents, [`onContext:${ids.map((id) => `concurrencyTrace.ranExample.${id}`).join(' || ')}`], step.id);
  }
});

test('every command a walkthrough step links to is ours and contributed, or VS Code\'s own', () => {
  const ours = new Set(manifest.contributes.commands.map((c) => c.command));
  for (const step of steps) {
    for (const m of step.description.matchAll(/\(command:([\w.]+)/g)) {
      if (m[1].startsWith('concurrencyTrace.')) assert.ok(ours.has(m[1]), `${step.id}: ${m[1]}`);
      else assert.match(m[1], /^workbench\./, `${step.id}: ${m[1]}`);
    }
  }
});

test('the .vsix holds the walkthrough\'s pages and the bundled examples (vsce ls)', { timeout: 60000 }, () => {
  const vsce = path.join(ROOT, 'node_modules', '.bin', 'vsce');
  const files = new Set(execFileSync(vsce, ['ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' }).split('\n').map((l) => l.trim()).filter(Boolean));
  for (const step of steps) if (step.media.markdown) assert.ok(files.has(step.media.markdown), step.media.markdown);
  for (const name of fs.readdirSync(path.join(ROOT, 'examples')).filter((n) => n.endsWith('.py'))) assert.ok(files.has(`examples/${name}`), name);
});
