// Bundles the CLI, the extension host and the timeline webview into dist/.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const node = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };

await build({ ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } });
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
