/** Makes require('vscode') (the extension's and @vscode/python-extension's) load the fake. Import first. */
import Module from 'node:module';
import * as path from 'node:path';

const fakePath = path.join(__dirname, 'vscode.ts');
const mod = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const original = mod._resolveFilename;
mod._resolveFilename = function (request: string, ...rest: unknown[]): string {
  return request === 'vscode' ? original.call(this, fakePath, ...rest) : original.call(this, request, ...rest);
};
