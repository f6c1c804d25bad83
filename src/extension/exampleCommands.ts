/**
 * "Open Example…" and "Trace Example…" (the walkthrough's links): the
 * bundled examples (core/setup/examples) are found in the installed extension,
 * copied once into the extension's global storage (a folder per extension
 * version, so the user may edit and save them without touching the install)
 * and opened; "Trace" also runs the example traced, as the Run command does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXAMPLE_LESSONS, lessonById, type ExampleLesson } from '../core/setup/examples';
import type { LiveRunResult } from '../core/run/liveRun';
import type { RunController } from './runController';

export class ExampleCommands {
  constructor(
    private readonly extensionPath: string,
    private readonly storagePath: string,
    private readonly runs: RunController,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The lessons whose example is in this installation. */
  available(): ExampleLesson[] {
    return EXAMPLE_LESSONS.filter((l) => fs.existsSync(this.bundled(l)));
  }

  /** Opens the example of a lesson (asked for when none is given); its Uri, or undefined. */
  async open(id?: unknown): Promise<vscode.Uri | undefined> {
    const lesson = await this.lesson(id, 'Open an example');
    if (!lesson) return undefined;
    try {
      const uri = vscode.Uri.file(this.copy(lesson));
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc, { preview: false });
      this.log.info(`example: opened ${lesson.file} (${lesson.title})`);
      return uri;
    } catch (err) {
      this.log.error(`example: ${lesson.file}: ${(err as Error).message}`);
      void vscode.window.showErrorMessage(`Concurrency Trace: could not open the ${lesson.title} example: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Opens the example and runs it traced; resolves when the run is over. */
  async run(id?: unknown): Promise<LiveRunResult | undefined> {
    const lesson = await this.lesson(id, 'Trace an example');
    if (!lesson) return undefined;
    const uri = await this.open(lesson.id);
    if (!uri) return undefined;
    // Ticks off the walkthrough step of this lesson.
    void vscode.commands.executeCommand('setContext', `concurrencyTrace.ranExample.${lesson.id}`, true);
    return this.runs.run(uri, false);
  }

  private async lesson(id: unknown, title: string): Promise<ExampleLesson | undefined> {
    if (typeof id === 'string') {
      const lesson = lessonById(id);
      if (lesson && fs.existsSync(this.bundled(lesson))) return lesson;
      void vscode.window.showErrorMessage(`Concurrency Trace: no example "${id}" in this installation.`);
      return undefined;
    }
    type Item = vscode.QuickPickItem & { lesson: ExampleLesson };
    const items = this.available().map((l): Item => ({ label: l.title, description: l.file, detail: l.look, lesson: l }));
    const picked = await vscode.window.showQuickPick(items, { title: `Concurrency Trace: ${title}`, placeHolder: 'One example per lesson', matchOnDescription: true });
    return picked?.lesson;
  }

  private bundled(lesson: ExampleLesson): string {
    return path.join(this.extensionPath, 'examples', lesson.file);
  }

  /** The user's copy of the example (made from the bundled file the first time; kept with their edits after). */
  private copy(lesson: ExampleLesson): string {
    const dir = path.join(this.storagePath, 'examples', extensionVersion(this.extensionPath));
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const dest = path.join(dir, lesson.file);
    try {
      fs.copyFileSync(this.bundled(lesson), dest, fs.constants.COPYFILE_EXCL);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // An earlier copy: opened as it is, unless something other than a file took its place.
      if (!fs.lstatSync(dest).isFile()) throw new Error(`${dest} is not a file`);
    }
    return dest;
  }
}

function extensionVersion(extensionPath: string): string {
  try {
    const v = (JSON.parse(fs.readFileSync(path.join(extensionPath, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' && /^[\w.+-]+$/.test(v) ? v : 'current';
  } catch {
    return 'current';
  }
}
