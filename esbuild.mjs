// Bundles the CLI, the extension host and the timeline webview into dist/.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const node = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };

/**
 * `import * as fs from 'node:fs'` in a CommonJS bundle becomes a copy of every property of
 * the module (esbuild's __toESM) in each importing module: some 30 copies at every CLI start,
 * part of the start-up a traced program waits for. Routed through one shared module per
 * builtin (`export *`), each builtin is copied once; the properties stay live getters.
 */
const sharedBuiltins = {
  name: 'shared-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => (a.namespace === 'shared-builtin' ? { path: a.path, external: true } : { path: a.path, namespace: 'shared-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'shared-builtin' }, (a) => ({ contents: `export * from ${JSON.stringify(a.path)};`, loader: 'js' }));
  },
};

await build({ ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, plugins: [sharedBuiltins] });
if (existsSync('src/extension/extension.ts')) {
  await build({ ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], format: 'cjs' });
}
if (existsSync('webview/main.ts')) {
  await build({
    bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: true, logLevel: 'warning', minify: !process.env.CT_NO_MINIFY,
    // webview.css comes along (css loader); the codicon font is copied next to it as dist/codicon.ttf.
    entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js', loader: { '.css': 'css', '.ttf': 'file' }, assetNames: '[name]',
  });
}
