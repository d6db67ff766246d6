export { Parameter } from './parameter';
export { Linear } from './linear';
export type { LinearOptions } from './linear';
