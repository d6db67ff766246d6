/** One row of the stage table. */
export interface StageRow {
  stage: string;
  /** Test accuracy in [0, 1]. */
  accuracy: number;
  /** Non-zero parameters. */
  params: number;
  /** Bytes on disk. */
  bytes: number;
  /** Median latency (ms) at batch 1 and batch 64. */
  latency1: number;
  latency64: number;
  /** Teacher latency / this latency, at batch 1 and batch 64. */
  speedup1: number;
  speedup64: number;
}

const HEAD = ['stage', 'test acc', 'params', 'bytes on disk', 'latency b1 (ms)', 'latency b64 (ms)', 'speed-up b1', 'speed-up b64'];

function fmtBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(2)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} B`;
}

function cells(r: StageRow): string[] {
  return [
    r.stage, `${(r.accuracy * 100).toFixed(2)}%`, r.params.toLocaleString('en-US'), fmtBytes(r.bytes),
    r.latency1.toFixed(4), r.latency64.toFixed(4), `${r.speedup1.toFixed(2)}x`, `${r.speedup64.toFixed(2)}x`,
  ];
}

/** The header of the console table (with its rule), for printing rows one by one. */
export function tableHeader(): string {
  return formatRow(HEAD) + '\n' + WIDTHS.map((w) => '-'.repeat(w)).join('  ');
}

const WIDTHS = [26, 9, 11, 14, 16, 17, 12, 12];

function formatRow(c: string[]): string {
  return c.map((v, i) => (i === 0 ? v.padEnd(WIDTHS[i]) : v.padStart(WIDTHS[i]))).join('  ');
}

/** One console line for a stage. */
export function tableRow(r: StageRow): string {
  return formatRow(cells(r));
}

/** The stage table as Markdown. */
export function markdownTable(rows: StageRow[]): string {
  const lines = [`| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i === 0 ? ':---' : '---:')).join('|')}|`];
  for (const r of rows) lines.push(`| ${cells(r).join(' | ')} |`);
  return lines.join('\n');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

/**
 * An SVG with two panels: test accuracy against size on disk (log scale), and the latency of
 * each stage at batch 1 and batch 64 (relative to the teacher's, as bars).
 */
export function chartSvg(rows: StageRow[], title: string): string {
  const W = 960, H = 420, pad = 60, panelW = (W - 3 * pad) / 2, panelH = H - 2 * pad - 20;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  // Panel 1: accuracy vs size.
  const x0 = pad, y0 = pad + 10;
  const sizes = rows.map((r) => Math.log10(Math.max(1, r.bytes)));
  const accs = rows.map((r) => r.accuracy * 100);
  let sMin = Math.min(...sizes), sMax = Math.max(...sizes);
  if (sMax - sMin < 0.5) { sMin -= 0.25; sMax += 0.25; }
  let aMin = Math.min(...accs), aMax = Math.max(...accs);
  if (aMax - aMin < 2) { aMin -= 1; aMax += 1; }
  aMin = Math.max(0, aMin - 0.5); aMax = Math.min(100, aMax + 0.5);
  const px = (s: number) => x0 + ((s - sMin) / (sMax - sMin)) * panelW;
  const py = (a: number) => y0 + panelH - ((a - aMin) / (aMax - aMin)) * panelH;
  out.push(`<rect x="${x0}" y="${y0}" width="${panelW}" height="${panelH}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${x0 + panelW / 2}" y="${y0 - 8}" text-anchor="middle" font-weight="bold">test accuracy vs size on disk</text>`);
  for (let k = Math.ceil(sMin); k <= Math.floor(sMax); k++) {
    out.push(`<line x1="${px(k)}" y1="${y0}" x2="${px(k)}" y2="${y0 + panelH}" stroke="#eee"/>`);
    out.push(`<text x="${px(k)}" y="${y0 + panelH + 15}" text-anchor="middle">${esc(fmtBytes(10 ** k))}</text>`);
  }
  for (let t = 0; t <= 4; t++) {
    const a = aMin + ((aMax - aMin) * t) / 4;
    out.push(`<text x="${x0 - 6}" y="${py(a) + 4}" text-anchor="end">${a.toFixed(1)}%</text>`);
  }
  out.push(`<text x="${x0 + panelW / 2}" y="${y0 + panelH + 32}" text-anchor="middle">bytes on disk (log scale)</text>`);
  rows.forEach((r, i) => {
    const c = COLORS[i % COLORS.length];
    out.push(`<circle cx="${px(sizes[i])}" cy="${py(accs[i])}" r="5" fill="${c}"/>`);
    out.push(`<text x="${px(sizes[i]) + 8}" y="${py(accs[i]) - 6 - (i % 2) * 10}" fill="${c}">${esc(r.stage)}</text>`);
  });
  // Panel 2: latency per stage, batch 1 and batch 64 (ms, each normalised to the teacher).
  const x1 = 2 * pad + panelW;
  out.push(`<rect x="${x1}" y="${y0}" width="${panelW}" height="${panelH}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${x1 + panelW / 2}" y="${y0 - 8}" text-anchor="middle" font-weight="bold">latency relative to the teacher (lower is faster)</text>`);
  const rel = rows.map((r) => [1 / r.speedup1, 1 / r.speedup64]);
  const rMax = Math.max(1, ...rel.flat().filter(Number.isFinite));
  const group = panelW / Math.max(1, rows.length);
  const bw = Math.min(28, group / 3);
  rows.forEach((r, i) => {
    const gx = x1 + i * group + group / 2;
    rel[i].forEach((v, j) => {
      const h = (Math.min(v, rMax) / rMax) * panelH;
      const bx = gx - bw + j * bw;
      out.push(`<rect x="${bx}" y="${y0 + panelH - h}" width="${bw - 2}" height="${h}" fill="${j === 0 ? '#1f77b4' : '#ff7f0e'}"/>`);
      const ms = j === 0 ? r.latency1 : r.latency64;
      out.push(`<text x="${bx + bw / 2 - 1}" y="${y0 + panelH - h - 4}" text-anchor="middle" font-size="9">${ms < 1 ? ms.toFixed(3) : ms.toFixed(1)}</text>`);
    });
    out.push(`<text x="${gx}" y="${y0 + panelH + 15}" text-anchor="middle" font-size="10">${esc(r.stage.length > 18 ? r.stage.slice(0, 17) + '…' : r.stage)}</text>`);
  });
  out.push(`<rect x="${x1 + 8}" y="${y0 + 8}" width="10" height="10" fill="#1f77b4"/><text x="${x1 + 22}" y="${y0 + 17}">batch 1 (ms above bars)</text>`);
  out.push(`<rect x="${x1 + 8}" y="${y0 + 24}" width="10" height="10" fill="#ff7f0e"/><text x="${x1 + 22}" y="${y0 + 33}">batch 64</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
