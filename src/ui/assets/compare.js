"use strict";
// Comparing experiments: params diff, overlaid curves, parallel coordinates, plots files.

function compareView(idsText) {
  const ids = (idsText ? idsText.split(",") : Array.from(selected)).map(decodeURIComponent).filter(Boolean);
  const root = el("div", { id: "compare" });
  let charts = [];
  let details = [];
  let metricKey = store("compareMetric");
  let xMode = store("compareX") || "step";
  let onlyDiff = store("onlyDiff") !== false;

  async function load() {
    if (!ids.length) {
      root.replaceChildren(el("p", { text: "Select experiments on the " }, el("a", { href: "#/", text: "experiments page" }), " to compare them."));
      return;
    }
    try {
      details = await Promise.all(ids.map((id) => api("/api/experiments/" + encodeURIComponent(id))));
    } catch (err) { showError(root, err); return; }
    renderAll();
  }

  function label(d) { return d.detail.name || d.detail.id; }

  function renderAll() {
    for (const c of charts) c.destroy();
    charts = [];
    const sections = [el("h1", { text: "Compare " + details.length + " experiment" + (details.length === 1 ? "" : "s") })];

    // Params diff.
    const paramKeys = Array.from(new Set(details.flatMap((d) => Object.keys(paramsOf(d))))).sort();
    const diffBox = el("input", { type: "checkbox", id: "only-diff", checked: onlyDiff });
    diffBox.addEventListener("change", () => { onlyDiff = diffBox.checked; store("onlyDiff", onlyDiff); renderAll(); });
    const rows = [];
    for (const k of paramKeys) {
      const vals = details.map((d) => paramsOf(d)[k]);
      const differs = new Set(vals.map((v) => v === undefined ? "\u0000" : v)).size > 1;
      if (onlyDiff && !differs) continue;
      rows.push(el("tr", { class: differs ? "differs" : "", "data-param": k }, el("td", { class: "mono", text: k }),
        vals.map((v) => el("td", { text: v === undefined ? "—" : v }))));
    }
    const metricKeysAll = Array.from(new Set(details.flatMap((d) => Object.keys(metricsOf(d))))).sort();
    for (const k of metricKeysAll) {
      const vals = details.map((d) => metricsOf(d)[k]);
      rows.push(el("tr", { "data-metric": k }, el("td", { class: "mono", text: "metrics." + k }),
        vals.map((v) => el("td", { class: "num", text: v === undefined ? "—" : fmtNum(v) }))));
    }
    sections.push(el("h2", { text: "Params and metrics" }),
      el("label", {}, diffBox, " only params that differ"),
      dataTable(["key"].concat(details.map(label)), rows, { id: "params-diff" }));

    // Overlaid curves.
    const keys = Array.from(new Set(details.flatMap(historyKeys))).sort();
    if (!keys.includes(metricKey)) metricKey = keys[0];
    const pick = el("select", { id: "curve-metric" }, keys.map((k) => el("option", { value: k, selected: k === metricKey, text: k })));
    pick.addEventListener("change", () => { metricKey = pick.value; store("compareMetric", metricKey); drawOverlay(); drawParallel(); });
    const xPick = el("select", { id: "curve-x" }, ["step", "time"].map((k) => el("option", { value: k, selected: k === xMode, text: "x = " + k })));
    xPick.addEventListener("change", () => { xMode = xPick.value; store("compareX", xMode); drawOverlay(); });
    const overlay = el("div", { class: "chart", id: "overlay" });
    sections.push(el("h2", { text: "Metric curves" }), keys.length
      ? el("div", {}, el("div", { class: "toolbar" }, pick, xPick), overlay)
      : el("p", { class: "muted", text: "No metric histories." }));

    // Parallel coordinates.
    const parallel = el("div", { id: "parallel" });
    sections.push(el("h2", { text: "Parallel coordinates" }), parallel);

    // The project's plots files, each experiment's result overlaid (drawn by the server).
    const plotsBox = el("div", { id: "compare-plots", class: "plots", "data-state": "loading" },
      el("p", { class: "muted", text: "Loading plots…" }));
    sections.push(el("h2", { text: "Plots" }), plotsBox);
    root.replaceChildren(...sections);

    let drawn = 0;
    async function drawOverlay() {
      const mine = ++drawn;
      for (const c of charts) c.destroy();
      charts = [];
      overlay.replaceChildren(el("h3", { text: metricKey || "" }));
      if (!metricKey) return;
      const series = [];
      for (const d of details) {
        if (!historyKeys(d).includes(metricKey)) continue;
        try {
          const h = await api("/api/experiments/" + encodeURIComponent(d.detail.id) + "/history?key=" + encodeURIComponent(metricKey) + "&points=" + POINTS);
          series.push({ label: label(d), id: d.detail.id, history: h });
        } catch (err) { overlay.append(el("p", { class: "error", text: err.message })); }
      }
      if (mine !== drawn) return;
      overlay.dataset.metric = metricKey;
      if (series.length) charts.push(drawCurves(overlay, series, xMode));
    }

    function drawParallel() {
      parallel.replaceChildren(parallelCoordinates(details, paramKeys, metricKey ? metricKey.replace(/^[^:]*:/, "") : null, label));
    }
    async function drawPlots() {
      const query = details.map((d) => "exp=" + encodeURIComponent(d.detail.id)).join("&");
      let got;
      try {
        got = await api("/api/plots?" + query);
      } catch (err) {
        plotsBox.dataset.state = "error";
        showError(plotsBox, err);
        return;
      }
      const shown = got.plots.map((p) => {
        // Drawn by the server's renderer and shown through <img>, where no script runs.
        const fig = el("figure", { class: "plot", "data-plot": p.name, "data-template": p.template },
          el("figcaption", { text: p.name }));
        for (const c of p.charts) fig.append(el("img", { class: "chart-img", src: c, alt: p.title }));
        for (const i of p.images) fig.append(el("img", { src: i.src, alt: i.label, title: i.label }));
        if (!p.charts.length && !p.images.length) fig.append(el("p", { class: "muted", text: "No data on any side." }));
        fig.append(el("ul", { class: "legend muted" }, p.series.map((s) =>
          el("li", { "data-series": s.label, "data-points": s.points, text: s.label + ": " + s.points + " points" }))));
        return fig;
      });
      if (!shown.length) shown.push(el("p", { class: "muted", text: "No plots files: stages' plots entries and [plots.NAME] tables in mlx.toml are drawn here." }));
      const problems = got.problems.map((p) => el("li", { text: (p.plot ? p.plot + " " : "") + "(" + p.side + "): " + (p.file ? p.file + " " : "") + p.error }));
      if (problems.length) shown.push(el("ul", { class: "problems muted" }, problems));
      plotsBox.replaceChildren(...shown);
      plotsBox.dataset.state = "done";
      plotsBox.dataset.plots = String(got.plots.length);
    }

    drawOverlay();
    drawParallel();
    drawPlots();
  }

  return {
    name: "compare",
    render() { main.replaceChildren(root); load(); },
    refresh(c) {
      const mine = new Set(details.flatMap((d) => [d.detail.id].concat(d.runs.map((r) => r.run))));
      const touched = !c || c.experiments.concat(c.runs, c.running).some((r) => mine.has(r))
        || details.some((d) => d.detail.status === "running" || d.detail.status === "queued");
      if (touched) load();
    },
    leave() { for (const c of charts) c.destroy(); },
  };
}

/** An SVG with one axis per param and one for the metric, and a line per experiment. */
function parallelCoordinates(details, paramKeys, metric, label) {
  const axes = paramKeys.map((k) => ({ key: k, get: (d) => paramsOf(d)[k] }));
  if (metric) axes.push({ key: "metrics." + metric, metric: true, get: (d) => metricsOf(d)[metric] });
  if (axes.length < 2) return el("p", { class: "muted", text: "Needs at least one param and a metric." });
  const W = Math.max(480, axes.length * 120), H = 300, pad = 30, top = 30;
  const scale = axes.map((a) => {
    const vals = details.map(a.get).filter((v) => v !== undefined && v !== null);
    const nums = vals.map(Number);
    if (vals.length && nums.every((n) => !isNaN(n))) {
      const lo = Math.min(...nums), hi = Math.max(...nums);
      return { kind: "num", lo, hi, pos: (v) => hi === lo ? 0.5 : (Number(v) - lo) / (hi - lo) };
    }
    const cats = Array.from(new Set(vals.map(String))).sort();
    return { kind: "cat", cats, pos: (v) => cats.length <= 1 ? 0.5 : cats.indexOf(String(v)) / (cats.length - 1) };
  });
  const x = (i) => pad + i * (W - pad - 90) / (axes.length - 1);
  const y = (p) => top + (1 - p) * (H - top - pad);
  const root = svg("svg", { width: W, height: H + 10, viewBox: "0 0 " + W + " " + (H + 10), "data-axes": axes.length, id: "parallel-svg" });
  axes.forEach((a, i) => {
    const s = scale[i];
    const g = svg("g", { class: "axis", "data-axis": a.key });
    g.append(svg("line", { x1: x(i), x2: x(i), y1: y(0), y2: y(1) }));
    g.append(svg("text", { x: x(i), y: 14, "text-anchor": "middle", text: a.key.length > 18 ? "…" + a.key.slice(-17) : a.key }, svg("title", { text: a.key })));
    const ends = s.kind === "num" ? (s.hi === s.lo ? [[0.5, fmtNum(s.lo)]] : [[0, fmtNum(s.lo)], [1, fmtNum(s.hi)]]) : s.cats.map((c, j) => [s.cats.length <= 1 ? 0.5 : j / (s.cats.length - 1), c]);
    for (const [p, t] of ends) g.append(svg("text", { x: x(i) + 4, y: y(p) + 4, class: "tick", text: t.length > 14 ? t.slice(0, 13) + "…" : t }));
    root.append(g);
  });
  const mScale = metric ? scale[axes.length - 1] : null;
  details.forEach((d, n) => {
    const pts = [];
    axes.forEach((a, i) => {
      const v = a.get(d);
      if (v !== undefined && v !== null) pts.push([x(i), y(scale[i].pos(v))]);
    });
    if (pts.length < 2) return;
    let color = COLORS[n % COLORS.length];
    if (mScale && mScale.kind === "num" && metricsOf(d)[metric] !== undefined) {
      const p = mScale.pos(metricsOf(d)[metric]);
      color = "hsl(" + Math.round(220 - 200 * p) + ", 70%, 45%)";
    }
    root.append(svg("path", { class: "pc-line", d: "M" + pts.map((p) => p[0].toFixed(1) + "," + p[1].toFixed(1)).join("L"), stroke: color, "data-row-id": d.detail.id },
      svg("title", { text: label(d) })));
  });
  return root;
}
