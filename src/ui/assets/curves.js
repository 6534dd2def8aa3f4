"use strict";
// Metric curves drawn with uPlot (vendored), one series per experiment.

/**
 * Overlay histories in `box` with uPlot: x is the step, or seconds since each series' first
 * point. Returns an object with destroy(). The legend lists each series with data-series and
 * data-points (how many points were drawn).
 */
function drawCurves(box, series, xMode) {
  const tables = series.map((s) => {
    const pts = s.history.points;
    const t0 = pts.length ? pts[0].time : 0;
    const xs = pts.map((p) => xMode === "time" ? (p.time - t0) / 1000 : p.step);
    const ys = pts.map((p) => p.value === null ? null : p.value);
    // uPlot needs ascending x: equal x values keep their order, later ones nudged.
    for (let i = 1; i < xs.length; i++) if (xs[i] <= xs[i - 1]) xs[i] = xs[i - 1] + 1e-9;
    return [xs, ys];
  });
  const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
  const legend = el("ul", { class: "legend" });
  const plotBox = el("div", { class: "plot" });
  box.append(plotBox, legend);
  box.dataset.series = series.map((s) => s.id).join(" ");
  box.dataset.points = String(series.reduce((n, s) => n + s.history.points.length, 0));
  box.dataset.x = xMode;
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const swatch = el("span", { class: "swatch" });
    swatch.style.background = color;
    legend.append(el("li", {
      "data-series": s.id, "data-points": s.history.points.length, "data-total": s.history.total,
      title: s.history.downsampled ? s.history.total + " points recorded, " + s.history.points.length + " drawn (min and max per bucket)" : s.history.total + " points",
    }, swatch, s.label + (s.history.downsampled ? " (" + s.history.total + " points, thinned)" : "")));
  });
  const width = Math.max(300, (box.clientWidth || 420) - 10);
  const opts = {
    width, height: 220,
    legend: { show: false },
    scales: { x: { time: false } },
    axes: [{ label: xMode === "time" ? "seconds" : "step" }, {}],
    // A history of one point has no line to draw: its point is shown instead.
    series: [{}].concat(series.map((s, i) => ({
      label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true,
      points: { show: s.history.points.filter((p) => p.value !== null).length < 2, size: 7, fill: COLORS[i % COLORS.length] },
    }))),
  };
  const plot = new uPlot(opts, data, plotBox);
  return { destroy() { plot.destroy(); } };
}
