import { typeError } from '../errors';

/** Error for a corrupt or unsupported file (code ERR_NNSLIM_FORMAT): `<what>: <problem>`. */
export function formatError(what: string, problem: string): Error {
  if (typeof what !== 'string') throw typeError('what', 'a string', what);
  if (typeof problem !== 'string') throw typeError('problem', 'a string', problem);
  const err = new Error(`${what}: ${problem}`);
  (err as Error & { code: string }).code = 'ERR_NNSLIM_FORMAT';
  return err;
}
