/**
 * The line discipline of the run's terminal. A VS Code Pseudoterminal is raw:
 * keys arrive as typed and nothing is echoed. The script's stdin is a pipe,
 * so, as a terminal in canonical mode would, this keeps the line being typed
 * (backspace edits it), echoes it, sends it on Enter, turns Ctrl-C into
 * SIGINT and Ctrl-D into end of input.
 */

export type TerminalAction =
  | { type: 'echo'; text: string }
  | { type: 'input'; text: string }
  | { type: 'interrupt' }
  | { type: 'endInput' };

const ERASE = '\b \b';

export class TerminalLine {
  private line = '';
  private inputEnded = false;

  /** Turns what the user typed (or pasted) into echo, stdin data and signals. */
  handle(data: string): TerminalAction[] {
    const out: TerminalAction[] = [];
    const echo = (text: string): void => {
      const last = out[out.length - 1];
      if (last?.type === 'echo') last.text += text;
      else out.push({ type: 'echo', text });
    };
    // Escape sequences (arrows, function keys) have no meaning in a plain line: dropped.
    const keys = data.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1bO.|\x1b./g, '');
    for (const ch of keys) {
      if (ch === '\x03') {
        echo('^C\r\n');
        this.line = '';
        out.push({ type: 'interrupt' });
      } else if (ch === '\x04') {
        if (this.inputEnded) continue;
        if (this.line) {
          // As a canonical tty: Ctrl-D on a non-empty line sends it without a newline.
          out.push({ type: 'input', text: this.line });
          this.line = '';
        } else {
          this.inputEnded = true;
          out.push({ type: 'endInput' });
        }
      } else if (ch === '\r' || ch === '\n') {
        echo('\r\n');
        if (this.inputEnded) continue;
        out.push({ type: 'input', text: this.line + '\n' });
        this.line = '';
      } else if (ch === '\x7f' || ch === '\b') {
        if (this.line) {
          const chars = [...this.line];
          chars.pop();
          this.line = chars.join('');
          echo(ERASE);
        }
      } else if (ch === '\x15') {
        // Ctrl-U: erase the line.
        echo(ERASE.repeat([...this.line].length));
        this.line = '';
      } else if (ch >= ' ' || ch === '\t') {
        this.line += ch;
        echo(ch);
      }
    }
    return out;
  }

  /** Whether Ctrl-D has closed the script's stdin. */
  get ended(): boolean {
    return this.inputEnded;
  }
}

/**
 * The script's output as a terminal needs it: bare \n becomes \r\n (the
 * bytes the script wrote are unchanged everywhere else). `pendingCr` carries
 * a \r that ended the previous chunk, so a \r\n split across chunks stays one.
 */
export class TerminalOutput {
  private pendingCr = false;

  convert(text: string): string {
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === '\n' && !(i === 0 ? this.pendingCr : text[i - 1] === '\r')) out += '\r\n';
      else out += ch;
    }
    if (text.length) this.pendingCr = text[text.length - 1] === '\r';
    return out;
  }
}
