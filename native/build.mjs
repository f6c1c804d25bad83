// Builds the C accelerator (native/ctnative.c, one translation unit) into
// src/runtime/concurrency_trace/_native/, where concurrency_trace/native.py
// finds it and the .vsix ships it:
//   _ctnative<EXT_SUFFIX>   one per interpreter found (full C API; 3.8-3.11
//                           need theirs), e.g. _ctnative.cpython-311-x86_64-linux-gnu.so
//   _ctnative.abi3.so       stable ABI (Py_LIMITED_API 3.12): every CPython 3.12+
//                           with the GIL loads it, versions built later included
// with the machine's gcc and each interpreter's own headers, for Linux x86-64.
// Every build is loaded by the interpreter(s) it is for before it is kept.
//
// Interpreters: CT_NATIVE_PYTHONS (':'-separated) if set, else pyenv's
// ($PYENV_ROOT or ~/.pyenv)/versions/*, ~/.cache/ct-pythons/bin/python3.*
// and python3 on PATH.  Without gcc or headers the runtime runs its
// pure-Python path: this script says so and exits 0, unless
// CT_NATIVE_REQUIRED=1 (CI), which makes any missing build an error.
// Builds newer than every source are kept (CT_NATIVE_FORCE=1 rebuilds).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { cpus, homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const out = join(root, 'src/runtime/concurrency_trace/_native');
const required = process.env.CT_NATIVE_REQUIRED === '1';
const force = process.env.CT_NATIVE_FORCE === '1';
const sources = readdirSync(here).filter((f) => /\.(c|h)$/.test(f)).map((f) => join(here, f));
const newestSource = Math.max(...sources.map((f) => statSync(f).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);

const problems = [];
const say = (line) => console.log(`native: ${line}`);

if (process.platform !== 'linux' || process.arch !== 'x64') {
  say(`not built: ${process.platform}-${process.arch} (Linux x86-64 only); the runtime uses its pure-Python path`);
  process.exit(required ? 1 : 0);
}
if (spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status !== 0) {
  say('not built: no gcc on PATH; the runtime uses its pure-Python path');
  process.exit(required ? 1 : 0);
}

function interpreters() {
  if (process.env.CT_NATIVE_PYTHONS) return process.env.CT_NATIVE_PYTHONS.split(':').filter(Boolean);
  const found = [];
  const pyenv = join(process.env.PYENV_ROOT || join(homedir(), '.pyenv'), 'versions');
  if (existsSync(pyenv)) {
    for (const v of readdirSync(pyenv)) {
      const bin = join(pyenv, v, 'bin');
      const m = /^(\d+)\.(\d+)/.exec(v);
      if (m && existsSync(join(bin, `python${m[1]}.${m[2]}`))) found.push(join(bin, `python${m[1]}.${m[2]}`));
    }
  }
  const cache = join(homedir(), '.cache/ct-pythons/bin');
  if (existsSync(cache)) {
    for (const f of readdirSync(cache)) if (/^python3\.\d+$/.test(f)) found.push(join(cache, f));
  }
  found.push('python3');
  return found;
}

// What an interpreter says about itself (null: not usable).
const PROBE = `
import json, os, sys, sysconfig
p = sysconfig.get_paths()
print(json.dumps({"version": list(sys.version_info[:2]), "impl": sys.implementation.name,
  "suffix": sysconfig.get_config_var("EXT_SUFFIX") or "", "include": p.get("include", ""),
  "platinclude": p.get("platinclude", ""), "executable": os.path.realpath(sys.executable),
  "gil": not sysconfig.get_config_var("Py_GIL_DISABLED")}))
`;

function probe(python) {
  const r = spawnSync(python, ['-I', '-c', PROBE], { encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout);
  } catch {
    return null;
  }
}

// Header folders: the interpreter's own, or (a Debian package unpacked into
// a folder: its sysconfig names /usr/include) the same under its root.
function includeDirs(info) {
  const [maj, min] = info.version;
  const dirs = [info.include, info.platinclude];
  const m = /^(.*)\/usr\/bin\/[^/]+$/.exec(info.executable);
  // Debian's multiarch pyconfig.h is included as <x86_64-linux-gnu/python3.X/pyconfig.h>.
  if (m) dirs.push(join(m[1], `usr/include/python${maj}.${min}`), join(m[1], 'usr/include'));
  const unique = [...new Set(dirs.filter((d) => d && existsSync(d)))];
  return unique.some((d) => existsSync(join(d, 'Python.h'))) ? unique : null;
}

const FLAGS = ['-O2', '-std=gnu11', '-shared', '-fPIC', '-fvisibility=hidden', '-fno-strict-aliasing', '-Wall', '-Wno-missing-field-initializers', '-Werror', '-s'];

// A child process as a promise: { status, stderr }.
function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.on('error', (e) => resolve({ status: -1, stderr: String(e) }));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

async function compile(target, includes, defines) {
  const tmp = `${target}.tmp-${process.pid}`;
  const args = [...FLAGS, ...defines, ...includes.map((d) => `-I${d}`), '-o', tmp, join(here, 'ctnative.c')];
  const r = await run('gcc', args);
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`gcc failed for ${target}:\n${r.stderr}`);
  }
  return tmp;
}

// The build loads in `python` and has the expected API version.
async function check(python, file) {
  const code = `
import sys
from importlib.machinery import ExtensionFileLoader, ModuleSpec
l = ExtensionFileLoader("_ctnative", sys.argv[1])
m = l.create_module(ModuleSpec("_ctnative", l, origin=sys.argv[1])); l.exec_module(m)
assert m.API_VERSION == 1, m.API_VERSION
`;
  const r = await run(python, ['-I', '-c', code, file]);
  if (r.status !== 0) throw new Error(`${file} does not load in ${python}:\n${r.stderr}`);
}

// Build target (loaded by each of `pythons` before it replaces the old one).
async function build(target, includes, defines, pythons, label) {
  if (!force && existsSync(target) && statSync(target).mtimeMs > newestSource) return `${label} (up to date)`;
  let tmp = '';
  try {
    tmp = await compile(target, includes, defines);
    for (const python of pythons) await check(python, tmp);
    renameSync(tmp, target);
    return label;
  } catch (e) {
    if (tmp) rmSync(tmp, { force: true });
    problems.push(String(e.message || e));
    return null;
  }
}

mkdirSync(out, { recursive: true });
const seen = new Map(); // suffix -> info
for (const python of interpreters()) {
  const info = probe(python);
  if (!info) continue;
  if (info.impl !== 'cpython' || info.version[0] !== 3 || info.version[1] < 8 || !info.gil || !info.suffix.startsWith('.cpython-')) continue;
  if (seen.has(info.suffix)) continue;
  const includes = includeDirs(info);
  if (!includes) {
    problems.push(`${python} (${info.version.join('.')}): no Python.h`);
    continue;
  }
  seen.set(info.suffix, { python, info, includes });
}

const jobs = [...seen].map(([suffix, { python, info, includes }]) => () =>
  build(join(out, `_ctnative${suffix}`), includes, [], [python], info.version.join('.')));
// The stable-ABI build: headers of a 3.12+ interpreter, loaded by each 3.12+.
const modern = [...seen.values()].filter(({ info }) => info.version[1] >= 12).sort((a, b) => a.info.version[1] - b.info.version[1]);
if (modern.length) {
  jobs.push(() => build(join(out, '_ctnative.abi3.so'), modern[0].includes, ['-DPy_LIMITED_API=0x030C0000'],
    modern.map(({ python }) => python), `abi3 (checked with ${modern.map(({ info }) => info.version.join('.')).join(', ')})`));
} else problems.push('no 3.12+ interpreter with headers: no stable-ABI build');

// As many at once as there are cores.
const built = [];
const queue = [...jobs];
await Promise.all(Array.from({ length: Math.max(1, cpus().length) }, async () => {
  for (let job = queue.shift(); job; job = queue.shift()) {
    const label = await job();
    if (label) built.push(label);
  }
}));

say(`built ${built.join(', ') || 'nothing'} into ${out.slice(root.length + 1)}`);
for (const p of problems) say(`problem: ${p}`);
if (required && (problems.length || !built.length)) process.exit(1);
