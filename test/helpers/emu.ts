// The suite under user-mode emulation (scripts/run-tests.js sets NNSLIM_TEST_EMULATED=1 for the
// qemu runs): the same tests and code paths with smaller data, and no timing assertions
// (emulated time says nothing about the kernels).

/** True when this process runs under qemu for another CPU model or architecture. */
export const emulated = process.env.NNSLIM_TEST_EMULATED === '1';

/** `full` natively, `small` under emulation. Callers keep `small` above every size threshold that picks a code path. */
export function scaled(full: number, small: number): number {
  return emulated ? small : full;
}
