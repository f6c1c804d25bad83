/** Where a run's timeline opens: the concurrencyTrace.panelPlacement setting (against the fake 'vscode'). */
import './fakes/installVscode';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTimelinePanel, panelShowOptions, readPanelPlacement } from '../../src/extension/timelineView';
import { fake, ViewColumn } from './fakes/vscode';

test('beside the editor by default, keeping the focus on the code', () => {
  fake.settings.delete('concurrencyTrace.panelPlacement');
  assert.equal(readPanelPlacement(), 'beside');
  assert.deepEqual(panelShowOptions('beside'), { viewColumn: ViewColumn.Beside, preserveFocus: true });
  fake.settings.set('concurrencyTrace.panelPlacement', 'sideways');
  assert.equal(readPanelPlacement(), 'beside', 'an unknown value falls back to the default');
});

test('a full editor tab opens in the editor’s own group', () => {
  fake.settings.set('concurrencyTrace.panelPlacement', 'tab');
  assert.equal(readPanelPlacement(), 'tab');
  assert.deepEqual(panelShowOptions('tab'), { viewColumn: ViewColumn.Active, preserveFocus: false });
});

test('below: the new panel moves to a group under the editor, then the focus goes back to the code', async () => {
  fake.settings.set('concurrencyTrace.panelPlacement', 'below');
  const before = fake.executed.length;
  const panel = createTimelinePanel('concurrencyTrace.timeline', 'Trace: x.py');
  assert.ok(panel);
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(fake.executed.slice(before).map((e) => e.command), ['workbench.action.moveEditorToBelowGroup', 'workbench.action.focusAboveGroup']);
  fake.settings.delete('concurrencyTrace.panelPlacement');
});
