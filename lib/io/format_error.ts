/** Error for a corrupt or unsupported file (code ERR_NNSLIM_FORMAT): `<what>: <problem>`. */
export function formatError(what: string, problem: string): Error {
  const err = new Error(`${what}: ${problem}`);
  (err as Error & { code: string }).code = 'ERR_NNSLIM_FORMAT';
  return err;
}
