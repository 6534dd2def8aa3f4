// mlx ui: the page's script. Plain JavaScript, no build step. Every text that comes from the
// project (names, params, tags, paths, logs) is inserted as text (textContent or text nodes),
// never as HTML. Drawn things carry data attributes (data-row-id, data-series, data-points,
// data-stage, data-edge) that browser tests read.
"use strict";

(function () {
  const TOKEN = document.querySelector('meta[name="mlx-token"]').content;
  const ROW = 28;
  const POINTS = 2000;
  const POLL_MS = 2000;
  const COLORS = ["#2f6fdf", "#e4572e", "#17a589", "#8e44ad", "#f39c12", "#2c3e50",
    "#c0392b", "#16a085", "#d35400", "#7f8c8d"];

  // ---- helpers -------------------------------------------------------------------------

  /** An element with attributes and children; strings become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") node.textContent = String(v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
  }

  function append(node, children) {
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === "string" || typeof c === "number"
        ? document.createTextNode(String(c)) : c);
    }
  }

  class ApiError extends Error {
    constructor(status, body) {
      super(body && body.error ? body.error : "request failed (" + status + ")");
      this.status = status;
      this.body = body || {};
    }
  }

  async function api(path, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    if (opts.method && opts.method !== "GET") {
      opts.headers["X-Mlx-Token"] = TOKEN;
      if (opts.json !== undefined) {
        opts.headers["Content-Type"] = "application/json";
        opts.body = JSON.stringify(opts.json);
      }
    }
    const resp = await fetch(path, opts);
    const type = resp.headers.get("content-type") || "";
    const body = type.startsWith("application/json") ? await resp.json() : await resp.text();
    if (!resp.ok) throw new ApiError(resp.status, typeof body === "object" ? body : { error: body });
    return body;
  }

  function fmtNum(v) {
    if (v === null || v === undefined) return "";
    if (typeof v !== "number") return String(v);
    if (!isFinite(v)) return String(v);
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-4 || a >= 1e9)) return v.toExponential(4);
    return String(Number(v.toPrecision(6)));
  }

  function fmtTime(t) {
    return t ? t.replace("T", " ").replace(/\.\d+Z$/, "Z").replace("Z", " UTC") : "";
  }

  function fmtDuration(s) {
    if (s === null || s === undefined) return "";
    if (s < 60) return s.toFixed(1) + " s";
    if (s < 3600) return (s / 60).toFixed(1) + " min";
    return (s / 3600).toFixed(1) + " h";
  }

  function fmtSize(n) {
    if (n < 1024) return n + " B";
    const units = ["KiB", "MiB", "GiB", "TiB"];
    let v = n / 1024, i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return v.toFixed(1) + " " + units[i];
  }

  function short(id) { return id ? String(id).slice(0, 8) : ""; }

  function expLink(id, label) {
    return el("a", { href: "#/exp/" + encodeURIComponent(id), text: label || id });
  }

  function showError(container, err) {
    container.replaceChildren(el("p", { class: "error", "data-error": "", text: err.message || String(err) }));
  }

  function store(key, value) {
    try {
      if (value === undefined) return JSON.parse(sessionStorage.getItem("mlx." + key));
      sessionStorage.setItem("mlx." + key, JSON.stringify(value));
    } catch (_) { return undefined; }
    return value;
  }

  // ---- state and routing ---------------------------------------------------------------

  const main = document.getElementById("main");
  const selected = new Set(store("selected") || []);
  let current = null; // { name, refresh() } of the view shown
  let pollCursor = null;

  function saveSelection() { store("selected", Array.from(selected)); }

  function route() {
    const hash = location.hash.replace(/^#/, "") || "/";
    const [path, queryText] = hash.split("?");
    const query = new URLSearchParams(queryText || "");
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    let view;
    if (parts.length === 0) view = experimentsView();
    else if (parts[0] === "exp" && parts[1]) view = experimentView(parts[1]);
    else if (parts[0] === "compare") view = compareView(query.get("ids"));
    else if (parts[0] === "dag") view = dagView();
    else view = { name: "missing", render() { main.replaceChildren(el("p", { text: "No such page." })); } };
    if (current && current.leave) current.leave();
    current = view;
    main.dataset.view = view.name;
    for (const a of document.querySelectorAll("header nav a")) {
      a.classList.toggle("active", a.dataset.nav === view.name || (view.name === "experiment" && a.dataset.nav === "experiments"));
    }
    view.render();
  }

  // ---- experiments table ---------------------------------------------------------------

  function experimentsView() {
    const state = {
      data: null,
      rows: [],
      sort: store("sort") || { key: "created", dir: "desc" },
      hidden: new Set(store("hidden") || []),
      filter: store("filter") || "",
    };
    const fixed = [
      { key: "select", label: "", width: 34 },
      { key: "name", label: "Name", width: 200 },
      { key: "status", label: "Status", width: 86 },
      { key: "created", label: "Created", width: 190 },
      { key: "commit", label: "Commit", width: 84 },
      { key: "duration", label: "Duration", width: 84, num: true },
    ];
    const root = el("div");
    const input = el("input", {
      type: "search", id: "filter", placeholder: "filter: metrics.acc > 0.9 and params.lr = 0.01",
      value: state.filter, spellcheck: "false", "aria-label": "Filter",
    });
    const errorBox = el("div", { class: "filter-error", id: "filter-error", hidden: true });
    const count = el("span", { class: "muted", id: "row-count" });
    const compareBtn = el("button", { id: "compare-selected", onclick: () => {
      location.hash = "#/compare?ids=" + Array.from(selected).map(encodeURIComponent).join(",");
    } });
    const clearBtn = el("button", { id: "clear-selection", onclick: () => {
      selected.clear(); saveSelection(); paint();
    }, text: "Clear selection" });
    const chooser = el("div", { class: "chooser", id: "column-chooser", hidden: true });
    const chooserBtn = el("button", { id: "choose-columns", text: "Columns", onclick: () => {
      chooser.hidden = !chooser.hidden;
    } });
    const grid = el("div", { class: "grid", id: "experiments", role: "grid" });
    const head = el("div", { class: "ghead" });
    const body = el("div", { class: "gbody" });
    grid.append(head, body);
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") { state.filter = input.value; store("filter", state.filter); load(); } });
    input.addEventListener("search", () => { if (input.value === "") { state.filter = ""; store("filter", ""); load(); } });
    root.append(
      el("div", { class: "toolbar" }, input,
        el("button", { id: "apply-filter", text: "Filter", onclick: () => { state.filter = input.value; store("filter", state.filter); load(); } }),
        chooserBtn, compareBtn, clearBtn, count),
      errorBox, chooser, grid);

    function columns() {
      const cols = fixed.slice();
      if (state.data) {
        for (const c of state.data.columns) {
          if (state.hidden.has(c.key + "|" + c.kind)) continue;
          cols.push({ key: c.key, label: c.name, kind: c.kind, width: 110, num: c.kind === "metric", field: c.field });
        }
      }
      return cols;
    }

    function value(e, col) {
      if (col.kind === "param") {
        const v = e.params[col.key];
        return v === undefined ? undefined : v;
      }
      if (col.kind === "metric") return e.metrics[col.key];
      if (col.key === "commit") return e.commit || "";
      return e[col.key];
    }

    function sortRows() {
      const cols = columns();
      const col = cols.find((c) => c.key === state.sort.key && (c.kind || "") === (state.sort.kind || ""))
        || fixed.find((c) => c.key === "created");
      const dir = state.sort.dir === "asc" ? 1 : -1;
      const rows = state.data ? state.data.experiments.slice() : [];
      rows.sort((a, b) => {
        const x = value(a, col), y = value(b, col);
        if (x === undefined || x === null) return (y === undefined || y === null) ? 0 : 1;
        if (y === undefined || y === null) return -1;
        const nx = typeof x === "number" ? x : Number(x), ny = typeof y === "number" ? y : Number(y);
        if (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny)) return (nx - ny) * dir;
        return String(x) < String(y) ? -dir : String(x) > String(y) ? dir : 0;
      });
      state.rows = rows;
    }

    function renderChooser() {
      chooser.replaceChildren();
      if (!state.data) return;
      for (const c of state.data.columns) {
        const id = c.key + "|" + c.kind;
        const box = el("input", { type: "checkbox", "data-column": c.field, checked: !state.hidden.has(id) });
        box.addEventListener("change", () => {
          if (box.checked) state.hidden.delete(id); else state.hidden.add(id);
          store("hidden", Array.from(state.hidden));
          paint(true);
        });
        chooser.append(el("label", { title: c.field }, box, " " + c.name + " ", el("span", { class: "muted", text: c.kind })));
      }
    }

    function renderHead(cols) {
      const width = cols.reduce((s, c) => s + c.width, 0);
      head.style.width = width + "px";
      body.style.width = width + "px";
      head.replaceChildren(...cols.map((c) => {
        const cell = el("div", {
          class: "cell " + (c.kind || "") + (c.num ? " num" : ""), title: c.field || c.label,
          "data-col": c.kind ? c.kind + ":" + c.key : c.key,
        });
        cell.style.width = c.width + "px";
        if (c.key === "select") {
          const all = el("input", { type: "checkbox", title: "Select all shown", "aria-label": "Select all shown" });
          all.checked = state.rows.length > 0 && state.rows.every((e) => selected.has(e.id));
          all.addEventListener("change", () => {
            for (const e of state.rows) { if (all.checked) selected.add(e.id); else selected.delete(e.id); }
            saveSelection(); paint();
          });
          cell.append(all);
          return cell;
        }
        cell.textContent = c.label;
        if (state.sort.key === c.key && (state.sort.kind || "") === (c.kind || "")) cell.dataset.sort = state.sort.dir;
        cell.addEventListener("click", () => {
          const same = state.sort.key === c.key && (state.sort.kind || "") === (c.kind || "");
          state.sort = { key: c.key, kind: c.kind || "", dir: same && state.sort.dir === "desc" ? "asc" : "desc" };
          store("sort", state.sort);
          sortRows(); paint();
        });
        return cell;
      }));
    }

    function renderRows(cols) {
      const top = grid.scrollTop;
      const height = grid.clientHeight || 600;
      const first = Math.max(0, Math.floor(top / ROW) - 5);
      const last = Math.min(state.rows.length, Math.ceil((top + height) / ROW) + 5);
      body.style.height = state.rows.length * ROW + "px";
      const frag = document.createDocumentFragment();
      for (let i = first; i < last; i++) {
        const e = state.rows[i];
        const row = el("div", { class: "row" + (selected.has(e.id) ? " selected" : ""), "data-row-id": e.id, "data-row-index": i, role: "row" });
        row.style.top = i * ROW + "px";
        for (const c of cols) {
          const cell = el("div", { class: "cell " + (c.kind || "") + (c.num ? " num" : "") });
          cell.style.width = c.width + "px";
          if (c.key === "select") {
            const box = el("input", { type: "checkbox", "aria-label": "Select " + e.name });
            box.checked = selected.has(e.id);
            box.addEventListener("change", () => {
              if (box.checked) selected.add(e.id); else selected.delete(e.id);
              saveSelection(); row.classList.toggle("selected", box.checked); updateButtons();
            });
            cell.append(box);
          } else if (c.key === "name") {
            cell.append(expLink(e.id, e.name));
            cell.title = e.name;
          } else if (c.key === "status") {
            cell.textContent = e.status;
            cell.classList.add("status-" + e.status);
          } else if (c.key === "created") {
            cell.textContent = fmtTime(e.created);
          } else if (c.key === "commit") {
            cell.textContent = short(e.commit) + (e.dirty ? "*" : "");
            cell.classList.add("mono");
          } else if (c.key === "duration") {
            cell.textContent = fmtDuration(e.duration);
          } else {
            const v = value(e, c);
            cell.textContent = c.kind === "metric" ? fmtNum(v) : (v === undefined ? "" : v);
            if (v !== undefined) cell.title = String(v);
            cell.dataset.col = c.kind + ":" + c.key;
          }
          row.append(cell);
        }
        frag.append(row);
      }
      body.replaceChildren(frag);
    }

    function updateButtons() {
      compareBtn.textContent = "Compare selected (" + selected.size + ")";
      compareBtn.disabled = selected.size < 1;
      clearBtn.disabled = selected.size === 0;
      if (state.data) count.textContent = state.rows.length + " experiment" + (state.rows.length === 1 ? "" : "s");
    }

    let cols = [];
    function paint(columnsChanged) {
      if (columnsChanged || cols.length === 0) cols = columns();
      if (columnsChanged) sortRows();
      renderHead(cols);
      renderRows(cols);
      updateButtons();
    }

    let frame = 0;
    grid.addEventListener("scroll", () => {
      if (frame) return;
      frame = requestAnimationFrame(() => { frame = 0; renderRows(cols); });
    });
    const onResize = () => renderRows(cols);
    window.addEventListener("resize", onResize);

    async function load() {
      const params = new URLSearchParams();
      if (state.filter.trim()) params.set("filter", state.filter);
      try {
        if (state.filter.trim()) {
          // Checked first: a bad filter is an answer, not a failed request in the console.
          const check = await api("/api/filter?" + params.toString());
          if (!check.valid) throw new ApiError(400, check);
        }
        const data = await api("/api/experiments?" + params.toString());
        errorBox.hidden = true;
        errorBox.replaceChildren();
        input.removeAttribute("aria-invalid");
        state.data = data;
        renderChooser();
        cols = columns();
        sortRows();
        paint();
        grid.dataset.rows = String(state.rows.length);
        if (!performance.getEntriesByName("mlx-experiments-ready").length) {
          // When the first rows are drawn and answer clicks (benchmarks and tests wait for it).
          performance.mark("mlx-experiments-ready");
          main.dataset.ready = "experiments";
        }
      } catch (err) {
        if (err.body && err.body.text !== undefined && err.body.column) {
          // A filter error: the message, and the expression with a caret under the column.
          const col = err.body.column;
          const text = err.body.text.replace(/\s/g, " ");
          errorBox.replaceChildren(
            el("div", { class: "message", text: err.message }),
            el("pre", { "data-column": col }, text + "\n" + " ".repeat(Math.max(0, col - 1)) + "^"),
            err.body.hint ? el("div", { class: "muted", text: "hint: " + err.body.hint }) : null);
          errorBox.dataset.column = String(col);
        } else {
          errorBox.replaceChildren(el("div", { class: "message", text: err.message }),
            err.body && err.body.hint ? el("div", { class: "muted", text: "hint: " + err.body.hint }) : null);
          delete errorBox.dataset.column;
        }
        errorBox.hidden = false;
        input.setAttribute("aria-invalid", "true");
      }
    }

    return {
      name: "experiments",
      render() { main.replaceChildren(root); updateButtons(); load(); },
      refresh() { if (errorBox.hidden) load(); },
      leave() { window.removeEventListener("resize", onResize); },
    };
  }

  // ---- one experiment ------------------------------------------------------------------

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
      ]));

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

  // ---- curves --------------------------------------------------------------------------

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
      series: [{}].concat(series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true, points: { show: false } }))),
    };
    const plot = new uPlot(opts, data, plotBox);
    return { destroy() { plot.destroy(); } };
  }

  // ---- compare -------------------------------------------------------------------------

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
      drawOverlay();
      drawParallel();
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

  // ---- pipeline DAG --------------------------------------------------------------------

  function dagView() {
    const root = el("div", { id: "dag" });
    async function load() {
      let dag;
      try { dag = await api("/api/dag"); } catch (err) { showError(root, err); return; }
      if (!dag.nodes.length) { root.replaceChildren(el("p", { class: "muted", text: "mlx.toml declares no stages." })); return; }
      // Layers: a stage sits one right of the furthest stage it depends on (nodes come in execution order).
      const layer = new Map();
      for (const n of dag.nodes) layer.set(n.name, Math.max(-1, ...n.upstream.map((u) => layer.has(u) ? layer.get(u) : -1)) + 1);
      const byLayer = [];
      for (const n of dag.nodes) { const l = layer.get(n.name); (byLayer[l] = byLayer[l] || []).push(n); }
      const NW = 160, NH = 36, GX = 70, GY = 24;
      const pos = new Map();
      byLayer.forEach((nodes, l) => nodes.forEach((n, i) => pos.set(n.name, { x: 20 + l * (NW + GX), y: 20 + i * (NH + GY) })));
      const W = 40 + byLayer.length * (NW + GX), H = 40 + Math.max(...byLayer.map((b) => b.length)) * (NH + GY);
      const s = svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, "data-stages": dag.nodes.length, "data-edges": dag.edges.length });
      s.append(svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
        svg("path", { d: "M0,0L10,5L0,10z", fill: "#8a94a8" }))));
      for (const e of dag.edges) {
        const a = pos.get(e.from), b = pos.get(e.to);
        if (!a || !b) continue;
        const x1 = a.x + NW, y1 = a.y + NH / 2, x2 = b.x, y2 = b.y + NH / 2, mx = (x1 + x2) / 2;
        s.append(svg("path", { class: "edge", d: `M${x1},${y1}C${mx},${y1} ${mx},${y2} ${x2},${y2}`, "marker-end": "url(#arrow)", "data-edge": e.from + "->" + e.to }));
      }
      for (const n of dag.nodes) {
        const p = pos.get(n.name);
        const title = n.name + "\n" + n.cmd.join(" ") + (n.deps.length ? "\ndeps: " + n.deps.join(", ") : "") + (n.outs.length ? "\nouts: " + n.outs.join(", ") : "");
        s.append(svg("g", { class: "node", "data-stage": n.name, transform: `translate(${p.x},${p.y})` },
          svg("title", { text: title }),
          svg("rect", { width: NW, height: NH, rx: 6 }),
          svg("text", { x: NW / 2, y: NH / 2 + 4, "text-anchor": "middle", text: n.name.length > 22 ? n.name.slice(0, 21) + "…" : n.name })));
      }
      root.replaceChildren(el("h1", { text: "Pipeline" }), s,
        dataTable(["stage", "command", "deps", "outs"], dag.nodes.map((n) => el("tr", { "data-stage": n.name },
          el("td", { text: n.name }), el("td", { class: "mono", text: n.cmd.join(" ") }),
          el("td", { class: "mono", text: n.deps.join(", ") }), el("td", { class: "mono", text: n.outs.join(", ") })))));
    }
    return { name: "dag", render() { main.replaceChildren(root); load(); }, refresh() {} };
  }

  // ---- live updates --------------------------------------------------------------------

  async function poll() {
    try {
      const c = await api("/api/changes" + (pollCursor ? "?since=" + encodeURIComponent(pollCursor) : ""));
      const live = document.getElementById("live");
      live.dataset.live = c.running.length ? "on" : "off";
      live.textContent = c.running.length ? c.running.length + " running" : "";
      if (pollCursor !== null && c.changed && current && current.refresh) current.refresh(c);
      pollCursor = c.cursor;
    } catch (_) { /* the server may be restarting: try again later */ }
    setTimeout(poll, POLL_MS);
  }

  api("/api/session").then((s) => { document.getElementById("project").textContent = s.project || ""; }).catch(() => {});
  window.addEventListener("hashchange", route);
  route();
  poll();
})();
