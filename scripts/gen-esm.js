// Writes dist/index.mjs: an ES module re-exporting the CommonJS build by name, so that
// `import { matmul } from 'nnslim'` and `require('nnslim')` share one instance.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const names = Object.keys(require(path.join(dist, 'index.js'))).filter((n) => n !== 'default' && n !== '__esModule');
const lines = [
  "import cjs from './index.js';",
  `export const { ${names.join(', ')} } = cjs;`,
  'export default cjs;',
  '',
];
fs.writeFileSync(path.join(dist, 'index.mjs'), lines.join('\n'));
fs.writeFileSync(path.join(dist, 'index.d.mts'), "export * from './index.js';\nimport * as nnslim from './index.js';\nexport default nnslim;\n");
