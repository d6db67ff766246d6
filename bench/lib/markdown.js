'use strict';
// Markdown generation for BENCHMARKS.md: number formatting, tables, and the marker-delimited
// sections that let each suite rewrite its own part of the file and leave the rest alone.

const DASH = '—';

/** A number with `digits` significant-ish decimals (fixed for >= 10, more below); a dash when not finite. */
function fmt(value, digits = 1) {
  if (!Number.isFinite(value)) return DASH;
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(Math.max(0, digits - 1));
  if (abs >= 10) return value.toFixed(digits);
  if (abs >= 1) return value.toFixed(digits + 1);
  return value.toFixed(digits + 2);
}

/** A ratio such as `0.82x`; a dash when not finite. */
function fmtRatio(value) {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : DASH;
}

/** A percentage such as `71%`; a dash when not finite. */
function fmtPercent(fraction) {
  return Number.isFinite(fraction) ? `${(100 * fraction).toFixed(0)}%` : DASH;
}

function escapeCell(cell) {
  return String(cell).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * A GitHub-flavoured markdown table. `columns` is a list of `{ title, align }` (align: 'left'
 * or 'right', default left) or plain titles; `rows` a list of arrays of cells. Columns are
 * padded to a common width so the source reads as a table too.
 */
function table(columns, rows) {
  const cols = columns.map((c) => (typeof c === 'string' ? { title: c, align: 'left' } : { align: 'left', ...c }));
  const cells = rows.map((row) => cols.map((_, i) => escapeCell(row[i] === undefined || row[i] === null ? '' : row[i])));
  const titles = cols.map((c) => escapeCell(c.title));
  const widths = cols.map((_, i) => Math.max(3, titles[i].length, ...cells.map((r) => r[i].length)));
  const pad = (text, i) => (cols[i].align === 'right' ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const line = (r) => `| ${r.map(pad).join(' | ')} |`;
  const rule = `|${cols.map((c, i) => (c.align === 'right' ? `${'-'.repeat(widths[i] + 1)}:` : `:${'-'.repeat(widths[i] + 1)}`)).join('|')}|`;
  return [line(titles), rule, ...cells.map(line)].join('\n');
}

/** Markers that delimit a generated section. */
function markers(id) {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(id)) throw new RangeError(`section id must be [a-z0-9_-]+, got ${JSON.stringify(id)}`);
  return { start: `<!-- section:${id}:start -->`, end: `<!-- section:${id}:end -->` };
}

/** Wraps `body` in the markers of section `id`. */
function wrapSection(id, body) {
  const { start, end } = markers(id);
  return `${start}\n${body.trim()}\n${end}`;
}

/** The sections of a document: `[{ id, text }]` in order, `text` including the markers. */
function listSections(doc) {
  const re = /<!-- section:([a-z0-9_-]+):start -->[\s\S]*?<!-- section:\1:end -->/g;
  const out = [];
  let m;
  while ((m = re.exec(doc)) !== null) out.push({ id: m[1], text: m[0], index: m.index });
  return out;
}

/** The body of section `id` in `doc` (without markers), or null when absent. */
function getSection(doc, id) {
  const found = listSections(doc).find((s) => s.id === id);
  if (!found) return null;
  const { start, end } = markers(id);
  return found.text.slice(start.length, found.text.length - end.length).trim();
}

/**
 * Puts section `id` with `body` into `doc`: replaces it in place when present, otherwise
 * inserts it before the section named `before` (when that exists) or appends it.
 * Everything outside the section is kept byte for byte.
 */
function upsertSection(doc, id, body, { before } = {}) {
  const wrapped = wrapSection(id, body);
  const sections = listSections(doc);
  const found = sections.find((s) => s.id === id);
  if (found) return doc.slice(0, found.index) + wrapped + doc.slice(found.index + found.text.length);
  const anchor = before && sections.find((s) => s.id === before);
  if (anchor) return `${doc.slice(0, anchor.index)}${wrapped}\n\n${doc.slice(anchor.index)}`;
  const base = doc.replace(/\s*$/, '');
  return `${base}${base ? '\n\n' : ''}${wrapped}\n`;
}

module.exports = { DASH, fmt, fmtRatio, fmtPercent, table, markers, wrapSection, listSections, getSection, upsertSection };
