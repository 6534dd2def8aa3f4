"use strict";
// One experiment's page: fields, tags and note, params, metrics and curves, stages, inputs,
// artifacts, environment, logs.

function kvTable(rows) {
  return el("table", { class: "kv" }, rows.filter((r) => r && r[1] !== undefined && r[1] !== null && r[1] !== "")
    .map(([k, v]) => el("tr", {}, el("th", { text: k }), el("td", {}, v instanceof Node ? v : String(v)))));
}

function dataTable(headers, rows, attrs) {
  return el("table", Object.assign({ class: "data" }, attrs || {}),
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { text: h })))),
    el("tbody", {}, rows));
}

function paramsOf(d) { return d.detail.params || {}; }

function metricsOf(d) {
  const out = {};
  for (const [k, v] of Object.entries(d.detail.metrics || {})) out[k] = typeof v === "object" && v !== null ? v.last : v;
  return out;
}

/** The metric keys of an experiment as its history endpoint takes them (STAGE:KEY for stage runs). */
function historyKeys(d) {
  const keys = [];
  const bare = new Map();
  for (const r of d.runs) for (const k of r.metrics) bare.set(k, (bare.get(k) || 0) + 1);
  for (const r of d.runs) {
    for (const k of r.metrics) {
      const key = r.stage && bare.get(k) > 1 ? r.stage + ":" + k : k;
      if (!keys.includes(key)) keys.push(key);
    }
  }
  return keys;
}

function experimentView(id) {
  const root = el("div", { "data-experiment": id });
  let charts = [];
  let shown = [];
  let wasRunning = false;

  async function load() {
    let d;
    try {
      d = await api("/api/experiments/" + encodeURIComponent(id));
    } catch (err) { showError(root, err); return; }
    for (const c of charts) c.destroy();
    charts = [];
    const x = d.detail;
    shown = [x.id].concat(d.runs.map((r) => r.run));
    wasRunning = x.status === "running" || x.status === "queued";
    const isRun = d.subject === "run";
    const name = x.name || x.id;
    const tags = isRun ? (x.tags || {}) : mergedTags(x.runs || []);
    const note = tags["mlx.note"];
    const sections = [];

    sections.push(el("h1", { id: "exp-name", text: name }));
    sections.push(kvTable([
      [isRun ? "run" : "experiment", x.id],
      ["status", el("span", { class: "status-" + x.status, text: x.status })],
      ["kind", isRun ? (x.command ? "command" : "run") : x.kind],
      ["commit", x.commit ? x.commit + (x.branch ? " on " + x.branch : "") + (x.dirty ? " (uncommitted changes)" : "") : "none"],
      ["started", fmtTime(x.start || x.started || x.created)],
      ["ended", fmtTime(x.end || x.ended)],
      ["duration", fmtDuration(x.duration)],
      ["overrides", (x.overrides || []).join(" ")],
      ["exit code", x.exit_code],
    ]));

    // Tags, note, delete.
    const tagList = el("div", { class: "tags", id: "tags" }, Object.entries(tags).filter(([k]) => k !== "mlx.note").map(([k, v]) =>
      el("span", { class: "tag", "data-tag": k }, k + "=" + v, el("button", {
        title: "Remove tag", "aria-label": "Remove tag " + k, text: "×",
        onclick: () => write("/api/experiments/" + encodeURIComponent(id) + "/tags", { remove: [k] }),
      }))));
    const keyIn = el("input", { placeholder: "key", id: "tag-key", size: 12 });
    const valIn = el("input", { placeholder: "value", id: "tag-value", size: 16 });
    const tagForm = el("form", { class: "inline", id: "tag-form" }, keyIn, valIn, el("button", { type: "submit", text: "Add tag" }));
    tagForm.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!keyIn.value.trim()) return;
      write("/api/experiments/" + encodeURIComponent(id) + "/tags", { set: { [keyIn.value.trim()]: valIn.value } });
    });
    const noteIn = el("textarea", { id: "note", placeholder: "A note about this experiment" });
    noteIn.value = note || "";
    const noteBtn = el("button", { id: "save-note", text: "Save note", onclick: () =>
      write("/api/experiments/" + encodeURIComponent(id) + "/note", { text: noteIn.value }) });
    const delBtn = el("button", { class: "danger", id: "delete", text: "Delete experiment", onclick: async () => {
      if (!confirm("Delete " + name + " and the runs it made?")) return;
      try {
        await api("/api/experiments/" + encodeURIComponent(id), { method: "DELETE" });
        selected.delete(x.id); saveSelection();
        location.hash = "#/";
      } catch (err) { writeError.textContent = err.message; }
    } });
    const writeError = el("p", { class: "error", id: "write-error" });
    sections.push(el("div", { class: "section" }, el("h2", { text: "Tags and note" }), tagList, tagForm,
      el("div", {}, noteIn), el("div", { class: "toolbar" }, noteBtn, delBtn), writeError));

    async function write(path, json) {
      try {
        await api(path, { method: "POST", json });
        load();
      } catch (err) { writeError.textContent = err.message; }
    }

    // Params and metrics.
    const params = Object.entries(paramsOf(d));
    sections.push(el("h2", { text: "Params" }), params.length
      ? dataTable(["param", "value"], params.map(([k, v]) => el("tr", { "data-param": k }, el("td", { class: "mono", text: k }), el("td", { text: v }))), { id: "params" })
      : el("p", { class: "muted", text: "None." }));
    const metrics = Object.entries(x.metrics || {});
    sections.push(el("h2", { text: "Metrics" }), metrics.length
      ? dataTable(isRun ? ["metric", "last", "min", "max", "points"] : ["metric", "value"],
        metrics.map(([k, v]) => el("tr", { "data-metric": k }, el("td", { class: "mono", text: k }),
          isRun ? [el("td", { class: "num", text: fmtNum(v.last) }), el("td", { class: "num", text: fmtNum(v.min) }),
            el("td", { class: "num", text: fmtNum(v.max) }), el("td", { class: "num", text: String(v.steps) })]
            : el("td", { class: "num", text: fmtNum(v) }))), { id: "metrics" })
      : el("p", { class: "muted", text: "None." }));

    // Metric histories.
    const keys = historyKeys(d);
    const chartBox = el("div", { class: "charts", id: "histories" });
    if (keys.length) sections.push(el("h2", { text: "Metric histories" }), chartBox);

    // Stage runs.
    if (!isRun && x.stages && x.stages.length) {
      sections.push(el("h2", { text: "Stages" }), dataTable(["stage", "outcome", "run", "ran here"],
        x.stages.map((s) => el("tr", { "data-stage": s.stage }, el("td", { text: s.stage }), el("td", { text: s.outcome }),
          el("td", {}, s.run ? expLink(s.run, short(s.run)) : "—"), el("td", { text: s.own ? "yes" : "no" }))), { id: "stages" }));
    }
    if (!isRun && x.runs && x.runs.length) {
      sections.push(el("h2", { text: "Runs" }), dataTable(["run", "stage", "status", "started", "duration", "tags"],
        x.runs.map((r) => el("tr", { "data-run": r.id }, el("td", {}, expLink(r.id, short(r.id))), el("td", { text: r.stage || "" }),
          el("td", { class: "status-" + r.status, text: r.status }), el("td", { text: fmtTime(r.start) }),
          el("td", { class: "num", text: fmtDuration(r.duration) }),
          el("td", { text: Object.entries(r.tags || {}).map(([k, v]) => k + "=" + v).join(", ") })))));
    }

    // Inputs (data hashes).
    const inputs = x.inputs || [];
    sections.push(el("h2", { text: "Inputs" }), inputs.length
      ? dataTable(["path", "kind", "hash", "size", "stage"], inputs.map((i) => el("tr", { "data-input": i.path },
        el("td", { class: "mono", text: i.path }), el("td", { text: i.kind }),
        el("td", { class: "mono", title: i.hash || "", text: i.hash ? short(i.hash) : "missing" }),
        el("td", { class: "num", text: i.size !== undefined ? fmtSize(i.size) : "" }), el("td", { text: i.stage || "" }))), { id: "inputs" })
      : el("p", { class: "muted", text: "None recorded." }));

    // Artifacts.
    const arts = d.artifacts.filter((a) => a.kind !== "log");
    sections.push(el("h2", { text: "Artifacts" }), arts.length
      ? dataTable(["path", "kind", "size", "stage", "hash"], arts.map((a) => el("tr", {},
        el("td", {}, a.kind === "directory" ? directoryArtifact(a) : artifactLink(a.run, a.path, a.path)),
        el("td", { text: a.kind }), el("td", { class: "num", text: fmtSize(a.size) }), el("td", { text: a.stage || "" }),
        el("td", { class: "mono", title: a.hash, text: short(a.hash) }))), { id: "artifacts" })
      : el("p", { class: "muted", text: "None." }));

    // Environment.
    sections.push(el("h2", { text: "Environment" }), kvTable([
      ["host", x.host], ["user", x.user], ["mlx", x.mlx_version], ["command", x.command ? x.command.join(" ") : undefined],
      ["folder", x.cwd], ["workspace", x.workspace], ["diff hash", x.diff_hash], ["mlx.lock hash", x.lock_hash],
    ].concat(Object.entries(x.environment || {}).map(([k, v]) => [k,
      /(^|\.)memory$/.test(k) && !isNaN(Number(v)) ? fmtSize(Number(v))
        : k.startsWith("lock.") ? el("span", { class: "mono", title: v, text: short(v) + "…" }) : v]))));

    // Logs, one per run.
    const logs = el("div", { id: "logs" });
    sections.push(el("h2", { text: "Log" }), logs);
    for (const r of d.runs) {
      const pre = el("pre", { class: "log", "data-log": r.run, text: "…" });
      const label = (r.stage ? r.stage + " · " : "") + short(r.run) + " (" + r.status + ")";
      const box = el("details", { open: d.runs.length === 1 }, el("summary", { text: label }), pre);
      const fill = async () => {
        try { pre.textContent = (await api("/api/runs/" + encodeURIComponent(r.run) + "/log")) || "(no output)"; } catch (err) { pre.textContent = err.message; }
      };
      if (box.open) fill(); else box.addEventListener("toggle", () => { if (box.open) fill(); }, { once: true });
      logs.append(box);
    }

    root.replaceChildren(...sections);
    for (const key of keys.slice(0, 24)) {
      const box = el("div", { class: "chart", "data-metric": key }, el("h3", { text: key }));
      chartBox.append(box);
      api("/api/experiments/" + encodeURIComponent(id) + "/history?key=" + encodeURIComponent(key) + "&points=" + POINTS)
        .then((h) => { charts.push(drawCurves(box, [{ label: name, id: x.id, history: h }], "step")); })
        .catch((err) => box.append(el("p", { class: "error", text: err.message })));
    }
  }

  return {
    name: "experiment",
    render() { main.replaceChildren(root); load(); },
    refresh(c) {
      // Only when it changed, and never under the user's typing.
      const ids = (shown || []).concat([id]);
      const touched = !c || ids.some((r) => c.experiments.includes(r) || c.runs.includes(r) || c.running.includes(r)) || wasRunning;
      const typing = document.activeElement && ["INPUT", "TEXTAREA"].includes(document.activeElement.tagName);
      if (touched && !typing) load();
    },
    leave() { for (const c of charts) c.destroy(); },
  };
}

function artifactLink(run, path, label) {
  return el("a", { href: "/api/runs/" + encodeURIComponent(run) + "/artifacts/" + path.split("/").map(encodeURIComponent).join("/"),
    download: path.split("/").pop(), "data-artifact": path, class: "mono", text: label });
}

/** A directory artifact: its files, listed when opened, each a download link. */
function directoryArtifact(a) {
  const list = el("ul", { class: "files" });
  const box = el("details", { "data-artifact-dir": a.path }, el("summary", { class: "mono", text: a.path + "/" }), list);
  box.addEventListener("toggle", async () => {
    if (!box.open || list.childElementCount) return;
    try {
      const r = await api("/api/runs/" + encodeURIComponent(a.run) + "/files/" + a.path.split("/").map(encodeURIComponent).join("/"));
      for (const f of r.files.slice(0, 2000)) list.append(el("li", {}, artifactLink(a.run, a.path + "/" + f.path, f.path), " ", el("span", { class: "muted", text: fmtSize(f.size) })));
      if (r.files.length > 2000) list.append(el("li", { class: "muted", text: "… and " + (r.files.length - 2000) + " more (mlx exp get)" }));
      if (!r.files.length) list.append(el("li", { class: "muted", text: "no files" }));
    } catch (err) { list.append(el("li", { class: "error", text: err.message })); }
  });
  return box;
}

function mergedTags(runs) {
  const out = {};
  for (const r of runs) Object.assign(out, r.tags || {});
  return out;
}
