// The supervisor's web view: polls /v1/view/* (see the API's README) every
// two seconds for the view on screen and redraws it in place.
import "./style.css";
import { chart } from "./charts.js";
import { drawMap, resizeMap } from "./map.js";
import { bytes, esc, ms, pct, table, time } from "./util.js";

const views = ["map", "talkers", "http", "dns", "bash", "netlog", "health"];
const every = 2000;
const $ = (id) => document.getElementById(id);
let busy = false;
let timer = null;

function current() {
  const v = location.hash.slice(1);
  return views.includes(v) ? v : "map";
}

function params() {
  const p = new URLSearchParams({ since: $("since").value });
  for (const k of ["process", "namespace", "pod"]) if ($(k).value) p.set(k, $(k).value);
  return p;
}

async function get(path, p) {
  const r = await fetch(`/v1/view/${path}?${p}`);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${(await r.text()).slice(0, 200)}`);
  return r.json();
}

// options keeps a filter <select>'s choice while its choices change.
function options(id, values) {
  const el = $(id);
  const keep = el.value;
  const all = [...new Set([...(values || []), ...(keep ? [keep] : [])])].sort();
  const html = `<option value="">all</option>` + all.map((v) => `<option${v === keep ? " selected" : ""}>${esc(v)}</option>`).join("");
  if (el.dataset.html !== html) { el.innerHTML = html; el.dataset.html = html; }
}

const draw = {
  async map(p) {
    const f = await get("flows", p);
    drawMap($("graph"), f);
    const name = (id) => id.replace(/^(process|endpoint):/, "");
    table("edges", [
      ["client", (e) => name(e.from)], ["server", (e) => name(e.to)], ["endpoint", (e) => e.server], ["transport", (e) => e.transport],
      ["connections", (e) => e.connections], ["closed", (e) => e.closed], ["sent", (e) => bytes(e.bytes_sent)], ["received", (e) => bytes(e.bytes_recv)],
      ["retransmits", (e) => e.retransmits], ["rtt", (e) => (e.rtt_us ? e.rtt_us + " µs" : "–")],
    ], f.edges, (e) => `${name(e.from)}>${name(e.to)}|${e.transport}`);
  },
  async talkers(p) {
    const [f, s] = await Promise.all([get("flows", p), get("summary", p)]);
    const cols = (first) => [[first, (t) => t.name], ["sent", (t) => bytes(t.bytes_sent)], ["received", (t) => bytes(t.bytes_recv)], ["connections", (t) => t.connections]];
    table("talk-proc", cols("process"), f.processes, (t) => t.name);
    table("talk-end", cols("endpoint"), f.endpoints, (t) => t.name);
    const series = {};
    for (const [c, v] of Object.entries(s.series.points)) if (v.some((x) => x)) series[c] = v.map((x) => x / s.step_seconds);
    chart("chart-points", "points/s by category", s.series.time, Object.keys(series).length ? series : { none: s.series.time.map(() => 0) });
  },
  async http(p) {
    const h = await get("http", p);
    chart("chart-http-count", "requests and errors per interval", h.series.time, { requests: h.series.count, errors: h.series.errors });
    chart("chart-http-lat", "latency (TTFB)", h.series.time, { p50: h.series.p50_ms, p99: h.series.p99_ms }, " ms");
    table("http-table", [
      ["direction", (e) => e.direction], ["process", (e) => e.process], ["server", (e) => e.server], ["method", (e) => e.method], ["path", (e) => e.path],
      ["count", (e) => e.count], ["4xx", (e) => e.errors_4xx], ["5xx", (e) => e.errors_5xx], ["error rate", (e) => pct(e.error_rate)],
      ["p50", (e) => ms(e.p50_ms)], ["p90", (e) => ms(e.p90_ms)], ["p99", (e) => ms(e.p99_ms)],
    ], h.endpoints, (e) => `${e.direction}|${e.process}|${e.server}|${e.method} ${e.path}`);
  },
  async dns(p) {
    const d = await get("dns", p);
    chart("chart-dns", "queries per interval", d.series.time, { queries: d.series.count, nxdomain: d.series.nxdomain, timeouts: d.series.timeouts });
    table("dns-table", [
      ["direction", (x) => x.direction], ["process", (x) => x.process], ["domain", (x) => x.domain], ["server", (x) => x.server],
      ["queries", (x) => x.count], ["nxdomain", (x) => x.nxdomain], ["timeouts", (x) => x.timeouts], ["other errors", (x) => x.failures],
      ["mean", (x) => ms(x.mean_ms)], ["max", (x) => ms(x.max_ms)],
    ], d.domains, (x) => `${x.direction}|${x.process}|${x.domain}`);
  },
  async bash(p) {
    const b = await get("bash", p);
    table("bash-table", [["time", (c) => time(c.time)], ["host", (c) => c.host], ["user", (c) => c.user], ["pid", (c) => c.pid], ["command", (c) => c.cmd]], b.commands, (c) => c.time + "|" + c.pid);
  },
  async netlog(p) {
    const n = await get("netlog", p);
    table("netlog-table", [
      ["time", (r) => time(r.time)], ["kind", (r) => r.kind], ["nic", (r) => r.nic], ["client", (r) => r.client], ["server", (r) => r.server],
      ["request", (r) => (r.kind === "l7" ? `${r.method} ${r.path} ${r.status}` : "")], ["rx", (r) => bytes(r.rx_bytes)], ["tx", (r) => bytes(r.tx_bytes)],
      ["retrans", (r) => r.retrans], ["message", (r) => r.message],
    ], n.records, (r) => r.time + "|" + r.kind + "|" + r.client);
  },
  async health(p) {
    const h = await get("health", p);
    chart("chart-health", "collector records and drops per interval", h.series.time, { events: h.series.events, drops: h.series.drops });
    const names = ["events", "points", "decode_errors", "kernel_drops", "map_full_drops", "queue_drops", "table_drops", "send_errors", "send_drops"];
    table("health-table", [["plugin", (x) => x.plugin], ...names.map((n) => [n, (x) => x.counters[n]])], h.plugins, (x) => x.plugin);
    table("restarts-table", [["input", (x) => x.input], ["restarts", (x) => x.restarts]], h.restarts, (x) => x.input);
    table("errors-table", [["time", (x) => x.time], ["input", (x) => x.input], ["source", (x) => x.source], ["error", (x) => x.err_content]], h.last_errors, (x) => x.time + x.input);
  },
};

async function refresh() {
  if (busy) return;
  busy = true;
  const v = current();
  try {
    const p = params();
    const s = await get("summary", p);
    options("process", s.processes);
    options("namespace", s.namespaces);
    options("pod", s.pods);
    const rate = Object.values(s.points_per_second).reduce((a, b) => a + b, 0);
    $("status").textContent = `${rate.toFixed(1)} points/s · updated ${new Date().toLocaleTimeString()}`;
    await draw[v](p);
    $("error").textContent = "";
    document.body.dataset.loaded = v; // tests wait for this
  } catch (e) {
    $("error").textContent = String(e.message || e);
  } finally {
    busy = false;
  }
}

function show() {
  const v = current();
  for (const id of views) {
    $("view-" + id).hidden = id !== v;
    $("tab-" + id).classList.toggle("on", id === v);
  }
  delete document.body.dataset.loaded;
  if (v === "map") setTimeout(resizeMap, 0);
  refresh();
}

function live() {
  clearInterval(timer);
  timer = $("live").checked ? setInterval(refresh, every) : null;
}

window.addEventListener("hashchange", show);
for (const id of ["since", "process", "namespace", "pod"]) $(id).addEventListener("change", refresh);
$("live").addEventListener("change", live);
show();
live();
