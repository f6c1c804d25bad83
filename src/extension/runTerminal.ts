/**
 * The terminal a traced run shows its output in: a Pseudoterminal owned by
 * the extension, so the script's stdio stay pipes the collector can sit
 * beside. Keys go through core/export/terminalLine (echo, line editing, Ctrl-C,
 * Ctrl-D); closing the terminal stops the run.
 */
import * as vscode from 'vscode';
import { TerminalLine, TerminalOutput } from '../core/export/terminalLine';

export interface TerminalTarget {
  write(text: string): void;
  interrupt(): void;
  endInput(): void;
  /** The terminal was closed by the user while the run may still be going. */
  closed(): void;
}

const DIM = '\x1b[2m';
const BOLD = '\x1b[1m';
const RESET = '\x1b[0m';

export class RunTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly line = new TerminalLine();
  private readonly outputs = { stdout: new TerminalOutput(), stderr: new TerminalOutput() };
  /** What arrived before VS Code opened the terminal. */
  private pending: string[] = [];
  private opened = false;
  private finished = false;
  private target: TerminalTarget | undefined;
  readonly terminal: vscode.Terminal;

  constructor(name: string, private readonly header: string) {
    this.terminal = vscode.window.createTerminal({ name, pty: this, iconPath: new vscode.ThemeIcon('pulse'), isTransient: true });
  }

  attach(target: TerminalTarget): void {
    this.target = target;
  }

  open(): void {
    this.opened = true;
    this.writeEmitter.fire(`${DIM}${this.header}${RESET}\r\n`);
    for (const text of this.pending) this.writeEmitter.fire(text);
    this.pending = [];
  }

  close(): void {
    if (!this.finished) this.target?.closed();
    this.dispose();
  }

  handleInput(data: string): void {
    if (this.finished || !this.target) return;
    for (const action of this.line.handle(data)) {
      if (action.type === 'echo') this.emit(action.text);
      else if (action.type === 'input') this.target.write(action.text);
      else if (action.type === 'interrupt') this.target.interrupt();
      else this.target.endInput();
    }
  }

  /** The script's output, unchanged but for \n → \r\n. */
  output(text: string, stream: 'stdout' | 'stderr'): void {
    this.emit(this.outputs[stream].convert(text));
  }

  /** A line of our own (start failures, the exit status), set apart from the script's output. */
  notice(text: string, bold = false): void {
    this.emit(`\r\n${bold ? BOLD : DIM}${text.replace(/\r?\n/g, '\r\n')}${RESET}\r\n`);
  }

  /** The run is over: input is no longer taken; the terminal stays for reading. */
  finish(text: string): void {
    this.notice(text, true);
    this.finished = true;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  dispose(): void {
    this.finished = true;
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }

  private emit(text: string): void {
    if (!text) return;
    if (this.opened) this.writeEmitter.fire(text);
    else this.pending.push(text);
  }
}
