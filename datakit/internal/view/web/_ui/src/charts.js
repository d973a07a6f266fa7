// Time-series charts with uPlot: one instance per chart for the page's
// life, fed new data with setData, so live updates do not grow memory.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const palette = ["#2f6fde", "#d9485f", "#e59a22", "#2a9d6f", "#8a5cd1", "#5a6b7b", "#c2559d", "#1c9fb5", "#99a33a"];
const charts = new Map();

// chart draws series (name -> values) over times (unix seconds) in the
// element with id `id`.
export function chart(id, title, times, series, unit = "") {
  const el = document.getElementById(id);
  const names = Object.keys(series);
  const data = [times, ...names.map((n) => series[n])];
  let c = charts.get(id);
  if (c && c.names.join() !== names.join()) {
    c.plot.destroy();
    charts.delete(id);
    c = null;
  }
  if (!c) {
    const width = Math.max(320, el.clientWidth || 600);
    const opts = {
      title, width, height: 200,
      series: [{}, ...names.map((n, i) => ({ label: n, stroke: palette[i % palette.length], width: 1.5, value: (u, v) => (v == null ? "–" : v.toFixed(v % 1 ? 2 : 0) + unit) }))],
      axes: [{}, { size: 60 }],
      scales: { x: { time: true } },
      legend: { live: true },
    };
    c = { names, plot: new uPlot(opts, data, el) };
    charts.set(id, c);
    return;
  }
  c.plot.setData(data);
}
