/**
 * The only module that touches the compiled addon. It loads it with node-gyp-build
 * (prebuilds/<platform>-<arch>/ first, then build/Release) and describes the raw interface.
 * There is no JavaScript fallback: if the addon cannot load, the error says what was tried.
 */
import * as path from 'node:path';

/** The raw addon. Arguments are validated by the TypeScript layer before they get here. */
export interface NativeAddon {
  abiVersion: number;
  cpuInfo(): RawCpuInfo;
  setIsa(isa: string): string;
  isaEnvError(): string | null;
  getNumThreads(): number;
  setNumThreads(n: number): void;
  sgemm(a: Float32Array, b: Float32Array, c: Float32Array, bias: Float32Array | null, m: number, n: number, k: number,
    lda: number, ldb: number, ldc: number, transA: boolean, transB: boolean, alpha: number, beta: number, relu: boolean): Float32Array;
  sgemmAsync(a: Float32Array, b: Float32Array, c: Float32Array, bias: Float32Array | null, m: number, n: number, k: number,
    lda: number, ldb: number, ldc: number, transA: boolean, transB: boolean, alpha: number, beta: number, relu: boolean): Promise<Float32Array>;
}

export interface RawCpuInfo {
  arch: string;
  features: Record<string, boolean>;
  supportedIsas: string[];
  bestIsa: string;
  isa: string;
  kernels: Record<string, string>;
  numThreads: number;
}

/** Root of the installed package (holds binding.gyp, prebuilds/ and build/). */
export const packageRoot = path.resolve(__dirname, '..');

function loadAddon(): NativeAddon {
  let addon: NativeAddon;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require('node-gyp-build') as (dir: string) => unknown;
    addon = load(packageRoot) as NativeAddon;
  } catch (cause) {
    const tried = [
      path.join(packageRoot, 'build', 'Release', 'nnslim.node'),
      path.join(packageRoot, 'build', 'Debug', 'nnslim.node'),
      path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, '*.node'),
    ];
    const err = new Error(
      `nnslim: the native addon could not be loaded on ${process.platform}-${process.arch} (Node ${process.version}, N-API ${process.versions.napi}).\n` +
      `Tried:\n  ${tried.join('\n  ')}\n` +
      `Cause: ${(cause as Error).message}\n` +
      'Fix: build it from source with `npm rebuild nnslim` (needs python3, make and a C++17 compiler: ' +
      '`apt-get install python3 make g++`), or install on a platform with a prebuild (linux-x64, linux-arm64). ' +
      'nnslim has no JavaScript fallback.',
      { cause },
    );
    (err as Error & { code: string }).code = 'ERR_NNSLIM_LOAD';
    throw err;
  }
  const envError = addon.isaEnvError();
  if (envError !== null) {
    const err = new RangeError(`nnslim: ${envError}. Valid levels here: ${addon.cpuInfo().supportedIsas.join(', ')}.`);
    (err as RangeError & { code: string }).code = 'ERR_NNSLIM_RANGE';
    throw err;
  }
  return addon;
}

/** The loaded addon (loaded once, on first import). */
export const native: NativeAddon = loadAddon();
