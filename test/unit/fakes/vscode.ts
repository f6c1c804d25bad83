/**
 * Just enough of the 'vscode' module to run the extension host code in
 * node:test: commands, configuration, terminals with a Pseudoterminal,
 * webview panels whose page "loads" (posts 'ready') when html is set, and
 * dialogs answered from a script. installVscode.ts maps require('vscode') here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>): { dispose(): void } => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Uri {
  private constructor(readonly scheme: string, readonly path: string) {}
  static file(p: string): Uri {
    return new Uri('file', path.resolve(p));
  }
  static parse(s: string): Uri {
    const m = /^([\w+.-]+):(.*)$/.exec(s);
    return m ? new Uri(m[1], m[2]) : Uri.file(s);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, path.join(base.path, ...parts));
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return `${this.scheme}://${this.path}`;
  }
}

export class ThemeIcon {
  constructor(readonly id: string) {}
}
export class Position {
  constructor(readonly line: number, readonly character: number) {}
}
export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    this.start = typeof a === 'number' ? new Position(a, b as number) : a;
    this.end = typeof a === 'number' ? new Position(c!, d!) : (b as Position);
  }
  contains(p: Position): boolean {
    const after = p.line > this.start.line || (p.line === this.start.line && p.character >= this.start.character);
    const before = p.line < this.end.line || (p.line === this.end.line && p.character <= this.end.character);
    return after && before;
  }
}
export class Location {
  constructor(readonly uri: Uri, readonly range: Range) {}
}
export const DiagnosticSeverity = { Error: 0, Warning: 1, Information: 2, Hint: 3 };
export class Diagnostic {
  source?: string;
  code?: string | number;
  relatedInformation?: DiagnosticRelatedInformation[];
  constructor(readonly range: Range, readonly message: string, readonly severity: number) {}
}
export class DiagnosticRelatedInformation {
  constructor(readonly location: Location, readonly message: string) {}
}
/** Enough of MarkdownString to see what a hover says (appendText escapes as VS Code's does). */
export class MarkdownString {
  isTrusted: boolean | { enabledCommands: string[] } | undefined;
  constructor(public value = '', readonly supportThemeIcons = false) {}
  appendText(text: string): this {
    this.value += text.replace(/[\\`*_{}[\]()#+\-.!<>|~]/g, '\\$&');
    return this;
  }
  appendMarkdown(text: string): this {
    this.value += text;
    return this;
  }
}
export class Hover {
  constructor(readonly contents: MarkdownString, readonly range?: Range) {}
}
export const CodeActionKind = { QuickFix: { value: 'quickfix' } };
export class CodeAction {
  diagnostics?: Diagnostic[];
  command?: { command: string; title: string; arguments?: unknown[] };
  constructor(readonly title: string, readonly kind: unknown) {}
}
export class CodeLens {
  constructor(readonly range: Range, readonly command?: { title: string; command: string; tooltip?: string; arguments?: unknown[] }) {}
}
export class DebugAdapterInlineImplementation {
  constructor(readonly implementation: unknown) {}
}
export const DebugConfigurationProviderTriggerKind = { Initial: 1, Dynamic: 2 };
export const ViewColumn = { Active: -1, Beside: -2, One: 1, Two: 2 };
export const ProgressLocation = { SourceControl: 1, Window: 10, Notification: 15 };
export const version = '1.95.0-fake';

/** Everything the tests steer or look at. */
export const fake = {
  settings: new Map<string, unknown>(),
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  executed: [] as { command: string; args: unknown[] }[],
  contextKeys: new Map<string, unknown>(),
  messages: [] as { level: string; text: string }[],
  log: [] as string[],
  terminals: [] as FakeTerminal[],
  panels: [] as FakePanel[],
  /** Every panel since the start (reset() keeps these: a later run may reuse one). */
  allPanels: [] as FakePanel[],
  customEditors: new Map<string, unknown>(),
  extensions: new Map<string, unknown>(),
  /** Answers for showInputBox / showSaveDialog / showOpenDialog / showQuickPick, in order. */
  answers: { inputBox: [] as (string | undefined)[], saveDialog: [] as (string | undefined)[], openDialog: [] as (string | undefined)[], quickPick: [] as (number | number[])[] },
  /** Progress notifications shown (withProgress), newest last; cancel() is the notification's Cancel button. */
  progress: [] as { title: string; messages: string[]; cancel(): void; done: boolean }[],
  workspaceFolder: undefined as string | undefined,
  opened: [] as { file: string; line: number }[],
  /** The Problems panel: diagnostics by file path (what the collection holds now). */
  diagnostics: new Map<string, Diagnostic[]>(),
  hoverProviders: [] as { provideHover(doc: { uri: Uri }, pos: Position): unknown }[],
  codeActionProviders: [] as { provideCodeActions(doc: { uri: Uri }, range: Range, context: { diagnostics: Diagnostic[] }): unknown }[],
  /** The items of the last showQuickPick, as offered (`picked`: ticked beforehand). */
  lastQuickPick: [] as unknown[],
  /** Buttons clicked on notifications, in order (an answer not among a notification's buttons is left for a later one). */
  notificationAnswers: [] as string[],
  /** vscode.debug registrations. */
  debugProviders: [] as { type: string; provider: Record<string, (...args: never[]) => unknown>; trigger?: number }[],
  debugAdapterFactories: new Map<string, { createDebugAdapterDescriptor(session: unknown): unknown }>(),
  codeLensProviders: [] as { provideCodeLenses(doc: FakeDocument): unknown }[],
  reset(): void {
    this.settings.clear();
    this.executed = [];
    this.messages = [];
    this.log = [];
    this.terminals = [];
    this.panels = [];
    this.extensions.clear();
    this.opened = [];
    this.notificationAnswers = [];
    this.progress = [];
    window.activeTextEditor = undefined;
  },
};

export class FakeTerminal {
  output = '';
  shown = false;
  disposed = false;
  constructor(readonly name: string, readonly pty: { open(): void; close(): void; handleInput?(d: string): void; onDidWrite(l: Listener<string>): unknown }) {
    pty.onDidWrite((text) => (this.output += text));
    setImmediate(() => pty.open());
  }
  show(): void {
    this.shown = true;
  }
  type(data: string): void {
    this.pty.handleInput?.(data);
  }
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pty.close();
  }
}

/** A TextDocument of a file on disk (its text read when asked). */
export class FakeDocument {
  isUntitled = false;
  isDirty = false;
  readonly languageId: string;
  constructor(readonly uri: Uri) {
    this.languageId = /\.pyw?$/.test(uri.fsPath) ? 'python' : 'plaintext';
  }
  get fileName(): string {
    return this.uri.fsPath;
  }
  getText(): string {
    return fs.readFileSync(this.uri.fsPath, 'utf8');
  }
  save(): Promise<boolean> {
    this.isDirty = false;
    return Promise.resolve(true);
  }
}

/** An editor showing a document, with the cursor on `line` (0-based). */
export function fakeEditor(file: string, line = 0): { document: FakeDocument; selection: { active: Position } } {
  return { document: new FakeDocument(Uri.file(file)), selection: { active: new Position(line, 0) } };
}

export class FakeWebview {
  readonly posted: { at: number; message: { type: string; [k: string]: unknown } }[] = [];
  readonly cspSource = 'vscode-webview://fake';
  options: unknown;
  private htmlText = '';
  private readonly receive = new EventEmitter<unknown>();
  readonly onDidReceiveMessage = this.receive.event;
  /** Whether a page is loaded (a hidden panel without retained context has none). */
  loaded = false;
  reloads = 0;

  get html(): string {
    return this.htmlText;
  }
  set html(text: string) {
    this.htmlText = text;
    this.load();
  }
  /** A page loads and says it is ready, as webview/main.ts does. */
  load(): void {
    this.reloads++;
    this.loaded = true;
    setTimeout(() => this.send({ type: 'ready' }), 5);
  }
  asWebviewUri(uri: Uri): Uri {
    return uri;
  }
  postMessage(message: unknown): Promise<boolean> {
    if (!this.loaded) return Promise.resolve(false);
    this.posted.push({ at: Date.now(), message: JSON.parse(JSON.stringify(message)) as { type: string } });
    return Promise.resolve(true);
  }
  /** The page posts a message to the host. */
  send(message: unknown): void {
    this.receive.fire(message);
  }
}

export class FakePanel {
  readonly webview = new FakeWebview();
  visible = true;
  active = true;
  iconPath: unknown;
  private readonly viewState = new EventEmitter<{ webviewPanel: FakePanel }>();
  private readonly disposeEmitter = new EventEmitter<void>();
  readonly onDidChangeViewState = this.viewState.event;
  readonly onDidDispose = this.disposeEmitter.event;
  disposed = false;
  constructor(readonly viewType: string, public title: string, readonly options: { retainContextWhenHidden?: boolean } = {}) {}
  reveal(): void {
    this.setVisible(true);
  }
  /** Hiding drops the page (retainContextWhenHidden: false); showing reloads it. */
  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    this.active = visible;
    if (!visible && !this.options.retainContextWhenHidden) this.webview.loaded = false;
    this.viewState.fire({ webviewPanel: this });
    if (visible && !this.webview.loaded) this.webview.load();
  }
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposeEmitter.fire();
  }
}

const message = (level: string) => (text: string, ...items: unknown[]): Promise<string | undefined> => {
  fake.messages.push({ level, text });
  const next = fake.notificationAnswers[0];
  if (next !== undefined && items.includes(next)) {
    fake.notificationAnswers.shift();
    return Promise.resolve(next);
  }
  return Promise.resolve(undefined);
};

export const window = {
  activeTextEditor: undefined as unknown,
  createOutputChannel: (_name: string) => {
    const line = (level: string) => (text: string) => fake.log.push(`${level}: ${text}`);
    return { info: line('info'), warn: line('warn'), error: line('error'), debug: line('debug'), trace: line('trace'), appendLine: line('info'), show: () => undefined, dispose: () => undefined };
  },
  createTerminal: (options: { name: string; pty: FakeTerminal['pty'] }) => {
    const t = new FakeTerminal(options.name, options.pty);
    fake.terminals.push(t);
    return t;
  },
  createWebviewPanel: (viewType: string, title: string, _show: unknown, options: { retainContextWhenHidden?: boolean }) => {
    const p = new FakePanel(viewType, title, options);
    fake.panels.push(p);
    fake.allPanels.push(p);
    return p;
  },
  registerCustomEditorProvider: (viewType: string, provider: unknown) => {
    fake.customEditors.set(viewType, provider);
    return { dispose: () => fake.customEditors.delete(viewType) };
  },
  showErrorMessage: message('error'),
  showWarningMessage: message('warning'),
  showInformationMessage: message('info'),
  showInputBox: () => Promise.resolve(fake.answers.inputBox.shift()),
  showSaveDialog: () => Promise.resolve(((p) => (p ? Uri.file(p) : undefined))(fake.answers.saveDialog.shift())),
  showOpenDialog: () => Promise.resolve(((p) => (p ? [Uri.file(p)] : undefined))(fake.answers.openDialog.shift())),
  showQuickPick: <T>(items: T[], options?: { canPickMany?: boolean }) => {
    fake.lastQuickPick = items;
    const answer = fake.answers.quickPick.shift();
    if (answer === undefined) return Promise.resolve(undefined);
    if (options?.canPickMany) return Promise.resolve((Array.isArray(answer) ? answer : [answer]).map((i) => items[i]));
    return Promise.resolve(items[answer as number]);
  },
  withProgress: async <R>(options: { title: string }, task: (progress: { report(v: { message?: string }): void }, token: { isCancellationRequested: boolean; onCancellationRequested(l: () => void): { dispose(): void } }) => Promise<R>): Promise<R> => {
    const cancelled = new EventEmitter<void>();
    const token = { isCancellationRequested: false, onCancellationRequested: (l: () => void) => cancelled.event(l) };
    const entry = { title: options.title, messages: [] as string[], done: false, cancel: () => {
      token.isCancellationRequested = true;
      cancelled.fire();
    } };
    fake.progress.push(entry);
    try {
      return await task({ report: (v) => v.message && entry.messages.push(v.message) }, token);
    } finally {
      entry.done = true;
    }
  },
  showTextDocument: (doc: { uri: Uri }, options?: { selection?: Range }) => {
    // Line 0: opened without a selection.
    fake.opened.push({ file: doc.uri.fsPath, line: options?.selection ? options.selection.start.line + 1 : 0 });
    window.activeTextEditor = { document: doc, selection: { active: options?.selection?.start ?? new Position(0, 0) } };
    return Promise.resolve(undefined);
  },
};

export const commands = {
  registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
    fake.commands.set(id, fn);
    return { dispose: () => fake.commands.delete(id) };
  },
  executeCommand: (command: string, ...args: unknown[]) => {
    fake.executed.push({ command, args });
    if (command === 'setContext') fake.contextKeys.set(String(args[0]), args[1]);
    const own = fake.commands.get(command);
    return Promise.resolve(own ? own(...args) : undefined);
  },
};

export const workspace = {
  get workspaceFolders() {
    return fake.workspaceFolder ? [{ uri: Uri.file(fake.workspaceFolder), name: 'ws', index: 0 }] : undefined;
  },
  textDocuments: [] as unknown[],
  getConfiguration: (section: string) => ({
    get: <T>(key: string, fallback?: T): T | undefined => (fake.settings.has(`${section}.${key}`) ? (fake.settings.get(`${section}.${key}`) as T) : fallback),
  }),
  getWorkspaceFolder: (uri: Uri) =>
    fake.workspaceFolder && uri.fsPath.startsWith(fake.workspaceFolder + path.sep) ? { uri: Uri.file(fake.workspaceFolder), name: 'ws', index: 0 } : undefined,
  openTextDocument: (uri: Uri) => Promise.resolve(new FakeDocument(uri)),
  onDidChangeConfiguration: (_listener: unknown) => ({ dispose: () => undefined }),
  fs: {
    readFile: (uri: Uri) => Promise.resolve(new Uint8Array(fs.readFileSync(uri.fsPath))),
    writeFile: (uri: Uri, data: Uint8Array) => Promise.resolve(fs.writeFileSync(uri.fsPath, data)),
  },
};

export const languages = {
  createDiagnosticCollection: (_name: string) => ({
    set: (uri: Uri, list: Diagnostic[]) => fake.diagnostics.set(uri.fsPath, list),
    delete: (uri: Uri) => fake.diagnostics.delete(uri.fsPath),
    clear: () => fake.diagnostics.clear(),
    dispose: () => fake.diagnostics.clear(),
  }),
  registerHoverProvider: (_selector: unknown, provider: (typeof fake.hoverProviders)[number]) => {
    fake.hoverProviders.push(provider);
    return { dispose: () => (fake.hoverProviders = fake.hoverProviders.filter((p) => p !== provider)) };
  },
  registerCodeLensProvider: (_selector: unknown, provider: (typeof fake.codeLensProviders)[number]) => {
    fake.codeLensProviders.push(provider);
    return { dispose: () => (fake.codeLensProviders = fake.codeLensProviders.filter((p) => p !== provider)) };
  },
  registerCodeActionsProvider: (_selector: unknown, provider: (typeof fake.codeActionProviders)[number]) => {
    fake.codeActionProviders.push(provider);
    return { dispose: () => (fake.codeActionProviders = fake.codeActionProviders.filter((p) => p !== provider)) };
  },
};

export const debug = {
  registerDebugConfigurationProvider: (type: string, provider: (typeof fake.debugProviders)[number]['provider'], trigger?: number) => {
    const entry = { type, provider, trigger };
    fake.debugProviders.push(entry);
    return { dispose: () => (fake.debugProviders = fake.debugProviders.filter((p) => p !== entry)) };
  },
  registerDebugAdapterDescriptorFactory: (type: string, factory: { createDebugAdapterDescriptor(session: unknown): unknown }) => {
    fake.debugAdapterFactories.set(type, factory);
    return { dispose: () => fake.debugAdapterFactories.delete(type) };
  },
};

export const extensions = {
  getExtension: (id: string) => fake.extensions.get(id),
};

export const env = {
  openExternal: () => Promise.resolve(true),
};

/** A workspaceState / globalState. */
export class FakeMemento {
  private readonly map = new Map<string, unknown>();
  get<T>(key: string, fallback?: T): T | undefined {
    return this.map.has(key) ? (JSON.parse(JSON.stringify(this.map.get(key))) as T) : fallback;
  }
  update(key: string, value: unknown): Promise<void> {
    this.map.set(key, value);
    return Promise.resolve();
  }
  keys(): string[] {
    return [...this.map.keys()];
  }
}
