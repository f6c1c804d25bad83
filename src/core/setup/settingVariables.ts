/**
 * The ${…} variables that VS Code users write in path settings, expanded the
 * way launch.json does, for settings that VS Code hands over unexpanded.
 */
import * as os from 'node:os';
import * as path from 'node:path';

export interface VariableContext {
  /** Folder of the workspace that holds the file (or the first one). */
  workspaceFolder?: string;
  /** The Python file being run. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/**
 * Expands ${workspaceFolder}, ${workspaceFolderBasename}, ${file},
 * ${fileDirname}, ${fileBasename}, ${fileBasenameNoExtension}, ${userHome},
 * ${env:NAME} and a leading ~. Unknown or unavailable variables stay as
 * written, so the error a user sees names them.
 */
export function expandVariables(value: string, ctx: VariableContext): string {
  const home = ctx.home ?? os.homedir();
  const env = ctx.env ?? process.env;
  let out = value.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (name.startsWith('env:')) return env[name.slice(4)] ?? '';
    const f = ctx.file;
    const known: Record<string, string | undefined> = {
      workspaceFolder: ctx.workspaceFolder,
      workspaceRoot: ctx.workspaceFolder,
      workspaceFolderBasename: ctx.workspaceFolder && path.basename(ctx.workspaceFolder),
      file: f,
      fileDirname: f && path.dirname(f),
      fileBasename: f && path.basename(f),
      fileBasenameNoExtension: f && path.basename(f, path.extname(f)),
      userHome: home,
    };
    return known[name] ?? whole;
  });
  if (out === '~' || out.startsWith('~/') || out.startsWith(`~${path.sep}`)) out = home + out.slice(1);
  return out;
}

/** A path setting made absolute: relative paths are taken from the workspace folder (else the file's folder). */
export function resolvePathSetting(value: string, ctx: VariableContext): string {
  const expanded = expandVariables(value.trim(), ctx);
  if (path.isAbsolute(expanded)) return path.normalize(expanded);
  const base = ctx.workspaceFolder ?? (ctx.file ? path.dirname(ctx.file) : process.cwd());
  return path.resolve(base, expanded);
}
