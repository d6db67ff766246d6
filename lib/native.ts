/**
 * The only module that touches the compiled addon. It loads it with node-gyp-build
 * (prebuilds/<platform>-<arch>/ first, then build/Release), or the .node file named by the
 * NNSLIM_ADDON_PATH environment variable (the sanitized test build uses it), and describes
 * the raw interface.
 * There is no JavaScript fallback: if the addon cannot load, the error says what was tried.
 */
import * as path from 'node:path';
import { markAsUntransferable } from 'node:worker_threads';

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
  // sparse (native/binding/sparse.cc)
  csrCount(dense: Float32Array, mask: Uint8Array | null, rows: number, cols: number, threshold: number, rowPtr: Int32Array): number;
  csrFill(dense: Float32Array, mask: Uint8Array | null, rows: number, cols: number, threshold: number, rowPtr: Int32Array,
    colIdx: Int32Array, values: Float32Array): void;
  csrPack(rows: number, cols: number, rowPtr: Int32Array, colIdx: Int32Array, values: Float32Array | null,
    qvalues: Int8Array | null, scales: Float32Array | null): RawPackedCsr;
  spmm(w: RawPackedCsr, x: Float32Array, out: Float32Array, bias: Float32Array | null, m: number, relu: boolean): Float32Array;
  spmmAsync(w: RawPackedCsr, x: Float32Array, out: Float32Array, bias: Float32Array | null, m: number, relu: boolean): Promise<Float32Array>;
  // batchnorm (native/binding/batchnorm.cc)
  batchnormApply(x: Float32Array, out: Float32Array, mean: Float32Array | null, scale: Float32Array, shift: Float32Array,
    n: number, c: number, l: number, relu: boolean): Float32Array;
  batchnormApplyAsync(x: Float32Array, out: Float32Array, mean: Float32Array | null, scale: Float32Array, shift: Float32Array,
    n: number, c: number, l: number, relu: boolean): Promise<Float32Array>;
  batchnormTrain(x: Float32Array, out: Float32Array | null, weight: Float32Array | null, bias: Float32Array | null,
    n: number, c: number, l: number, eps: number, relu: boolean, mean: Float32Array, variance: Float32Array, invstd: Float32Array): void;
  batchnormBackward(x: Float32Array, gradOut: Float32Array, mean: Float32Array, invstd: Float32Array, weight: Float32Array | null,
    n: number, c: number, l: number, training: boolean, gradIn: Float32Array | null, gradWeight: Float32Array | null,
    gradBias: Float32Array | null): void;
  // magnitude selection (native/binding/select.cc)
  kthSmallestMagnitude(values: Float32Array, k: number, mask: Uint8Array | null): { value: number; less: number };
  kthSmallestMagnitudeAsync(values: Float32Array, k: number, mask: Uint8Array | null): Promise<{ value: number; less: number }>;
  magnitudePruneMask(values: Float32Array, mask: Uint8Array, threshold: number, ties: number): number;
  // int8 GEMM and quantize (native/binding/qgemm.cc)
  qgemmPack(weight: Int8Array, n: number, k: number, zeroPoints: Int32Array, perChannel: boolean): RawPackedInt8;
  qgemm<O extends Float32Array | Uint8Array | Int8Array | Int32Array>(x: Uint8Array | Int8Array, m: number, lda: number,
    weights: RawPackedInt8, activationScales: Float32Array, activationZeroPoints: Int32Array, weightScales: Float32Array,
    bias: Float32Array | null, relu: boolean, out: O, ldc: number, outScale: number, outZeroPoint: number): O;
  qgemmAsync<O extends Float32Array | Uint8Array | Int8Array | Int32Array>(x: Uint8Array | Int8Array, m: number, lda: number,
    weights: RawPackedInt8, activationScales: Float32Array, activationZeroPoints: Int32Array, weightScales: Float32Array,
    bias: Float32Array | null, relu: boolean, out: O, ldc: number, outScale: number, outZeroPoint: number): Promise<O>;
  quantize(x: Float32Array, outer: number, channels: number, inner: number, scales: Float32Array, zeroPoints: Int32Array,
    out: Uint8Array | Int8Array): Uint8Array | Int8Array;
  dequantize(q: Uint8Array | Int8Array, outer: number, channels: number, inner: number, scales: Float32Array,
    zeroPoints: Int32Array, out: Float32Array): Float32Array;
  quantizeDynamic(x: Float32Array, m: number, k: number, rowsPerGroup: number, qmin: number, qmax: number,
    out: Uint8Array | Int8Array, scales: Float32Array, zeroPoints: Int32Array): Uint8Array | Int8Array;
  chooseQParams(min: number, max: number, qmin: number, qmax: number): [number, number];
  // fused optimizer updates (native/binding/optim.cc); scalars are the float32 constants of lib/optim
  adamUpdate(param: Float32Array, grad: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array,
    maxExpAvgSq: Float32Array | null, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number,
    eps: number, negStepSize: number, invBc2Sqrt: number, weightDecay: number, decay: number, decoupled: boolean,
    maximize: boolean): void;
  rmspropUpdate(param: Float32Array, grad: Float32Array, squareAvg: Float32Array, gradAvg: Float32Array | null,
    momentumBuffer: Float32Array | null, alpha: number, oneMinusAlpha: number, eps: number, weightDecay: number,
    momentum: number, negLr: number, maximize: boolean): void;
}

/** Native packed int8 weights (qgemmPack): an opaque object freed by GC. */
export interface RawPackedInt8 {
  readonly byteLength: number;
  /** Rows (output features) and columns (input features) packed. */
  readonly n: number;
  readonly k: number;
}

/** A validated native copy of a CSR matrix (csrPack); `handle` is opaque. */
export interface RawPackedCsr {
  readonly handle: unknown;
  readonly rows: number;
  readonly cols: number;
  readonly bytes: number;
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

// Every function of NativeAddon, checked at load so that a stale addon fails with a clear error
// instead of "x is not a function" later. The type below fails to compile if a function is added
// to NativeAddon but not here.
type AddonFunction = { [K in keyof NativeAddon]: NativeAddon[K] extends (...args: never[]) => unknown ? K : never }[keyof NativeAddon];
const ADDON_FUNCTIONS = [
  'cpuInfo', 'setIsa', 'isaEnvError', 'getNumThreads', 'setNumThreads', 'sgemm', 'sgemmAsync',
  'csrCount', 'csrFill', 'csrPack', 'spmm', 'spmmAsync',
  'batchnormApply', 'batchnormApplyAsync', 'batchnormTrain', 'batchnormBackward',
  'kthSmallestMagnitude', 'kthSmallestMagnitudeAsync', 'magnitudePruneMask',
  'qgemmPack', 'qgemm', 'qgemmAsync', 'quantize', 'dequantize', 'quantizeDynamic', 'chooseQParams',
  'adamUpdate', 'rmspropUpdate',
] as const satisfies readonly AddonFunction[];
type Unlisted = Exclude<AddonFunction, (typeof ADDON_FUNCTIONS)[number]>;
const allListed: [Unlisted] extends [never] ? true : { unlisted: Unlisted } = true;
void allListed;

/** Root of the installed package (holds binding.gyp, prebuilds/ and build/). */
export const packageRoot = path.resolve(__dirname, '..');

function loadAddon(): NativeAddon {
  let addon: NativeAddon;
  try {
    const override = process.env.NNSLIM_ADDON_PATH;
    if (override) {
      // An explicit .node file (e.g. the ASan/UBSan build the sanitized test run loads).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      addon = require(path.resolve(override)) as NativeAddon;
    } else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const load = require('node-gyp-build') as (dir: string) => unknown;
      addon = load(packageRoot) as NativeAddon;
    }
  } catch (cause) {
    const tried = process.env.NNSLIM_ADDON_PATH ? [`${path.resolve(process.env.NNSLIM_ADDON_PATH)} (NNSLIM_ADDON_PATH)`] : [
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
  const missing = ADDON_FUNCTIONS.filter((name) => typeof (addon as unknown as Record<string, unknown>)[name] !== 'function');
  if (missing.length > 0) {
    const err = new Error(
      `nnslim: the native addon loaded on ${process.platform}-${process.arch} is out of date: it lacks ${missing.join(', ')}.\n` +
      'It was built from other sources than this version of the TypeScript layer (a stale build/ or prebuilds/ folder).\n' +
      'Fix: rebuild it with `npm rebuild nnslim` (or `npm run build:native` in a checkout), or reinstall the package.',
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
  return pinAsyncBuffers(addon);
}

const ASYNC_FUNCTIONS = ['sgemmAsync', 'spmmAsync', 'batchnormApplyAsync', 'qgemmAsync', 'kthSmallestMagnitudeAsync'] as const;

/**
 * A pending async kernel reads and writes its buffers from another thread. The binding keeps
 * the JS objects alive; this marks their ArrayBuffers untransferable (as Node marks its pooled
 * Buffers), so postMessage / structuredClone cannot detach them and free the memory mid-call:
 * a transfer list naming one copies it (Node 20) or throws a DataCloneError (Node >= 21). The
 * mark stays after the call settles. If a buffer is detached anyway, the promise rejects with
 * ERR_NNSLIM_DETACHED.
 */
function pinAsyncBuffers(addon: NativeAddon): NativeAddon {
  for (const name of ASYNC_FUNCTIONS) {
    const fn = addon[name] as (...args: unknown[]) => Promise<unknown>;
    (addon as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      for (const a of args) if (ArrayBuffer.isView(a)) markAsUntransferable(a.buffer);
      return fn(...args);
    };
  }
  return addon;
}

/** The loaded addon (loaded once, on first import). */
export const native: NativeAddon = loadAddon();
