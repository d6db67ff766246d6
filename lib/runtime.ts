import { checkInt, typeError, rangeError } from './errors';
import { native } from './native';

/** What {@link cpuInfo} reports. */
export interface CpuInfo {
  /** 'x64', 'arm64', 'arm' or 'other'. */
  arch: string;
  /** CPU features detected (CPUID + XGETBV on x86, hwcaps on ARM). */
  features: Record<string, boolean>;
  /** ISA levels this CPU (and OS) supports, lowest first. */
  supportedIsas: string[];
  /** The best supported level. */
  bestIsa: string;
  /** The level in use (lowered by NNSLIM_ISA or setIsa()). */
  isa: string;
  /** The kernel each op uses at the level in use, e.g. `{ sgemm: 'f32_gemm_ukernel_14x32__avx512' }`. */
  kernels: Record<string, string>;
  /** Threads of the kernel pool. */
  numThreads: number;
}

/** Reports the CPU, its features, the ISA level in use and the name of each selected kernel. */
export function cpuInfo(): CpuInfo {
  return native.cpuInfo();
}

/**
 * Forces the kernels down to an ISA level ('scalar', 'avx2', 'avxvnni', 'avx512',
 * 'avx512vnni', 'amx', 'neon', 'dotprod', 'i8mm'); the environment variable NNSLIM_ISA does
 * the same at load time. A level the CPU lacks is a RangeError. Returns the level in use.
 */
export function setIsa(isa: string): string {
  if (typeof isa !== 'string') throw typeError('isa', 'a string naming an ISA level', isa);
  const supported = native.cpuInfo().supportedIsas;
  if (!supported.includes(isa)) {
    throw rangeError('isa', `one of the levels this CPU supports (${supported.join(', ')})`, isa);
  }
  return native.setIsa(isa);
}

/** Sets the number of threads of the kernel pool (1..1024); it is shared by the whole process. */
export function setNumThreads(n: number): void {
  native.setNumThreads(checkInt('n', n, { min: 1, max: 1024 }));
}

/** Threads of the kernel pool (default: the available parallelism). */
export function getNumThreads(): number {
  return native.getNumThreads();
}
