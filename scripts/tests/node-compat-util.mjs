// `node:util` with the two exports Node 20.11 lacks (see node-compat.mjs).
import util from 'node:util';

export * from 'node:util';
export default util;

/** Node >= 20.12: text styled with ANSI codes; here the plain text (no colours under emulation). */
export function styleText(format, text) {
  return String(text);
}

/** Node >= 20.12: a .env file's KEY=value lines (optional `export `, quotes stripped, # comments). */
export function parseEnv(content) {
  const env = {};
  for (const line of String(content).split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let v = m[2];
    const q = v[0];
    if ((q === '"' || q === "'" || q === '`') && v.length > 1 && v[v.length - 1] === q) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, '');
    env[m[1]] = v;
  }
  return env;
}
