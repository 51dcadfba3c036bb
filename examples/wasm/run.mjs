// Runs a WASI command module (a C program built for wasm32-wasi) under
// node's WASI: stdout and stderr are the process's, the exit status is the
// program's. Usage: node --experimental-wasi-unstable-preview1 run.mjs APP.wasm [ARGS...]
import { readFile } from 'node:fs/promises';
import { argv, exit } from 'node:process';
import { WASI } from 'node:wasi';

const [file, ...args] = argv.slice(2);
// no preopened folders: the program reads nothing, so it is given nothing
// `version` is required by node 20 and ignored by node 18 (Debian 12's), which
// also lacks getImportObject(): the imports are named here for both
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const imports = { wasi_snapshot_preview1: wasi.wasiImport };
const instance = await WebAssembly.instantiate(module, imports);
exit(wasi.start(instance));
