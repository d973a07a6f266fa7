// Small helpers shared by the views: escaping, number formats, tables.

export const esc = (s) =>
  String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

export function bytes(n) {
  if (!n) return "0 B";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + " " + u[i];
}

export const ms = (v) => (v ? (v < 10 ? v.toFixed(2) : v.toFixed(0)) + " ms" : "–");
export const pct = (v) => (v * 100).toFixed(1) + " %";
export const time = (ns) => new Date(ns / 1e6).toLocaleTimeString();

// table fills the <table> with id `id` from rows: cols are [header, cell(row)]
// pairs; a cell returns text (escaped here). Each row gets data-key for tests.
export function table(id, cols, rows, key) {
  const el = document.getElementById(id);
  const head = "<thead><tr>" + cols.map((c) => `<th>${esc(c[0])}</th>`).join("") + "</tr></thead>";
  const body = rows.length
    ? rows.map((r) => `<tr data-key="${esc(key(r))}">` + cols.map((c) => `<td>${esc(c[1](r))}</td>`).join("") + "</tr>").join("")
    : `<tr><td colspan="${cols.length}" class="empty">nothing in this window</td></tr>`;
  el.innerHTML = head + "<tbody>" + body + "</tbody>";
}
