import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TerminalLine, TerminalOutput } from '../../src/core/export/terminalLine';

test('typed text is echoed and sent line by line on Enter', () => {
  const t = new TerminalLine();
  assert.deepEqual(t.handle('ab'), [{ type: 'echo', text: 'ab' }]);
  assert.deepEqual(t.handle('c\r'), [{ type: 'echo', text: 'c\r\n' }, { type: 'input', text: 'abc\n' }]);
});

test('backspace and Ctrl-U edit the line before it is sent; escape sequences are dropped', () => {
  const t = new TerminalLine();
  t.handle('héllo');
  assert.deepEqual(t.handle('\x7f\x7f'), [{ type: 'echo', text: '\b \b\b \b' }]);
  assert.deepEqual(t.handle('\x1b[D\x1b[Ap\r'), [{ type: 'echo', text: 'p\r\n' }, { type: 'input', text: 'hélp\n' }]);
  t.handle('xyz');
  assert.deepEqual(t.handle('\x15'), [{ type: 'echo', text: '\b \b'.repeat(3) }]);
  assert.deepEqual(t.handle('\x7f'), [], 'nothing to erase');
});

test('a paste of several lines sends each line', () => {
  const t = new TerminalLine();
  const acts = t.handle('1\r2\r\n3');
  assert.deepEqual(acts.filter((a) => a.type === 'input'), [{ type: 'input', text: '1\n' }, { type: 'input', text: '2\n' }, { type: 'input', text: '\n' }]);
});

test('Ctrl-C interrupts and drops the line; Ctrl-D sends a partial line, then ends input', () => {
  const t = new TerminalLine();
  t.handle('half');
  assert.deepEqual(t.handle('\x03'), [{ type: 'echo', text: '^C\r\n' }, { type: 'interrupt' }]);
  t.handle('abc');
  assert.deepEqual(t.handle('\x04'), [{ type: 'input', text: 'abc' }]);
  assert.deepEqual(t.handle('\x04'), [{ type: 'endInput' }]);
  assert.ok(t.ended);
  assert.deepEqual(t.handle('\x04more\r'), [{ type: 'echo', text: 'more\r\n' }], 'after end of input: echoed, not sent');
});

test('output: bare \\n becomes \\r\\n, existing \\r\\n and lone \\r stay, also across chunks', () => {
  const o = new TerminalOutput();
  assert.equal(o.convert('a\nb\r\nc\rd\n\n'), 'a\r\nb\r\nc\rd\r\n\r\n');
  assert.equal(o.convert('x\r'), 'x\r');
  assert.equal(o.convert('\ny'), '\ny', 'the \\r of the previous chunk pairs with this \\n');
  assert.equal(o.convert('\n'), '\r\n');
  assert.equal(o.convert(''), '');
});
