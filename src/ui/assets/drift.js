"use strict";
// Data drift: pick a tracked data file and two versions (revisions, or the inputs two
// experiments read); per-column drift as `mlx data drift` computes it, measures over their
// thresholds highlighted, and each column's two distributions overlaid.

const DRIFT_MEASURES = [["psi", "PSI"], ["ks", "KS"], ["js", "JS"], ["chi2", "χ²"], ["chi2_pvalue", "χ² p-value"]];

function driftView(query) {
  const root = el("div", { id: "drift-view" });
  const want = {
    path: query.get("path") || "",
    from: query.get("from") || "",
    to: query.get("to") || "",
    exps: query.getAll("exp").filter(Boolean),
  };

  async function load() {
    let listing;
    try { listing = await api("/api/data/files"); } catch (err) { showError(root, err); return; }
    const pathPick = el("select", { id: "drift-path" },
      listing.files.map((f) => el("option", { value: f.path, selected: f.path === want.path, text: f.path })));
    if (!listing.files.length) pathPick.append(el("option", { value: "", text: "no tracked data files" }));
    const revs = el("datalist", { id: "drift-revs" },
      listing.revisions.map((r) => el("option", { value: r.rev, text: r.commit })));
    const from = el("input", { id: "drift-from", list: "drift-revs", placeholder: "revision", value: want.from || (want.exps.length ? "" : "HEAD") });
    const to = el("input", { id: "drift-to", list: "drift-revs", placeholder: "work tree", value: want.to });
    const expA = el("input", { id: "drift-exp-a", placeholder: "experiment", value: want.exps[0] || "" });
    const expB = el("input", { id: "drift-exp-b", placeholder: "experiment", value: want.exps[1] || "" });
    const form = el("form", { class: "inline", id: "drift-form" },
      el("label", {}, "file ", pathPick), revs,
      el("label", {}, "from ", from), el("label", {}, "to ", to),
      el("span", { class: "muted", text: "or the inputs of" }), expA, el("span", { class: "muted", text: "and" }), expB,
      el("button", { type: "submit", id: "drift-go", text: "Compare" }));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const q = new URLSearchParams();
      q.set("path", pathPick.value);
      if (expA.value.trim() && expB.value.trim()) {
        q.append("exp", expA.value.trim());
        q.append("exp", expB.value.trim());
      } else {
        if (from.value.trim()) q.set("from", from.value.trim());
        if (to.value.trim()) q.set("to", to.value.trim());
      }
      location.hash = "#/drift?" + q.toString();
    });
    const result = el("div", { id: "drift", "data-state": "idle" });
    const note = el("p", { class: "muted", text: "Drift is computed from the two versions' profiles; a version not profiled yet is profiled first (it reads the whole file once, then the profile is kept)." });
    if (listing.truncated) note.append(" Only the first " + listing.files.length + " files are listed.");
    root.replaceChildren(el("h1", { text: "Data drift" }), form, note, result);
    if (want.path && (want.from || want.exps.length === 2)) show(result);
  }

  async function show(box) {
    box.dataset.state = "loading";
    box.replaceChildren(el("p", { class: "muted", text: "Comparing (profiling versions not profiled yet)…" }));
    const q = new URLSearchParams();
    q.set("path", want.path);
    if (want.exps.length) for (const e of want.exps) q.append("exp", e);
    else {
      q.set("from", want.from);
      if (want.to) q.set("to", want.to);
    }
    let got;
    try { got = await api("/api/data/drift?" + q.toString()); } catch (err) {
      box.dataset.state = "error";
      showError(box, err);
      return;
    }
    const r = got.report;
    const side = (s) => s.source + " (" + short(s.hash) + ", " + s.rows + " rows)";
    const rows = r.columns.map((c) => {
      const over = new Set(c.over);
      const cells = DRIFT_MEASURES.map(([k]) => {
        const v = c[k];
        return el("td", { class: "num" + (over.has(k) ? " over" : ""), "data-measure": k, "data-value": v === undefined ? null : String(v),
          title: thresholdText(k, c.thresholds), text: v === undefined ? "" : fmtNum(v) });
      });
      return el("tr", { "data-column": c.name, "data-kind": c.kind, "data-over": c.over.join(" "), class: c.over.length ? "drifted" : "" },
        el("td", { class: "mono", text: c.name }), el("td", { text: c.kind === "type_changed" ? "type changed" : c.kind }),
        cells,
        el("td", { class: "num", text: fmtNum(c.null_rate_from) + " → " + fmtNum(c.null_rate_to) }));
    });
    const sections = [
      el("p", { id: "drift-summary", "data-drifted": String(r.drifted) },
        el("strong", { text: r.drifted ? "Drifted" : "No drift over the thresholds" }),
        ": " + r.path + " from " + side(r.from) + " to " + side(r.to) + "."),
      dataTable(["column", "kind"].concat(DRIFT_MEASURES.map(([, label]) => label), ["null rate"]), rows, { id: "drift-table" }),
    ];
    if (r.added.length) sections.push(el("p", { id: "drift-added", text: "Added columns: " + r.added.join(", ") }));
    if (r.removed.length) sections.push(el("p", { id: "drift-removed", text: "Removed columns: " + r.removed.join(", ") }));
    sections.push(el("h2", { text: "Distributions" }),
      el("ul", { class: "legend muted" },
        el("li", {}, el("span", { class: "swatch", style: "background:" + COLORS[0] }), "from " + r.from.source),
        el("li", {}, el("span", { class: "swatch", style: "background:" + COLORS[1] }), "to " + r.to.source)),
      el("div", { class: "charts", id: "drift-hists" }, got.overlays.map(overlayChart)));
    box.replaceChildren(...sections);
    box.dataset.state = "done";
    box.dataset.columns = String(r.columns.length);
  }

  return { name: "drift", render() { main.replaceChildren(root); load(); }, refresh() {} };
}

function thresholdText(measure, t) {
  if (measure === "chi2_pvalue") return t.chi2_pvalue === null || t.chi2_pvalue === undefined ? "not judged" : "drifted below " + t.chi2_pvalue;
  const limit = t[measure];
  return limit === null || limit === undefined ? "" : "drifted above " + limit;
}

/** Two bar series (shares of each side's values) on the same bins, drawn over each other. */
function overlayChart(o) {
  const W = 420, H = 170, L = 40, B = 34, T = 8, R = 8;
  const n = o.from.length;
  const top = Math.max(1e-9, ...o.from, ...o.to);
  const bw = (W - L - R) / Math.max(1, n);
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const s = svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, class: "hist" });
  s.append(svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#9aa3b5" }));
  s.append(svg("text", { x: L - 4, y: T + 10, "text-anchor": "end", text: (top * 100).toFixed(0) + "%" }));
  const label = (i) => o.kind === "numeric" ? fmtNum(o.edges[i]) : o.labels[i];
  [["from", o.from, COLORS[0]], ["to", o.to, COLORS[1]]].forEach(([name, shares, color]) => {
    shares.forEach((v, i) => {
      const x = L + i * bw + 1;
      s.append(svg("rect", { x: x.toFixed(1), y: y(v).toFixed(1), width: Math.max(1, bw - 2).toFixed(1), height: (H - B - y(v)).toFixed(1),
        fill: color, "fill-opacity": 0.45, "data-side": name, "data-bin": i, "data-share": String(v) },
        svg("title", { text: name + " " + (o.kind === "numeric" ? "[" + fmtNum(o.edges[i]) + ", " + fmtNum(o.edges[i + 1]) + (i === n - 1 ? "]" : ")") : label(i)) + ": " + (v * 100).toFixed(1) + "%" })));
    });
  });
  if (o.kind === "numeric") {
    s.append(svg("text", { x: L, y: H - B + 14, "text-anchor": "start", text: fmtNum(o.edges[0]) }));
    s.append(svg("text", { x: W - R, y: H - B + 14, "text-anchor": "end", text: fmtNum(o.edges[o.edges.length - 1]) }));
  } else {
    o.labels.forEach((l, i) => {
      if (bw < 14) return;
      const x = L + i * bw + bw / 2;
      s.append(svg("text", { x: x.toFixed(1), y: H - B + 14, "text-anchor": "middle", text: l.length > 8 ? l.slice(0, 7) + "…" : l }));
    });
  }
  return el("figure", { class: "chart hist", "data-hist": o.name, "data-kind": o.kind, "data-bins": n },
    el("h3", { text: o.name }), s);
}
