"use strict";
// The experiments table: virtual rows, sorting, the filter with its caret, the column chooser.

function experimentsView() {
  const state = {
    data: null,
    rows: [],
    sort: store("sort") || { key: "created", dir: "desc" },
    hidden: new Set(store("hidden") || []),
    filter: store("filter") || "",
    partial: false,
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
    if (state.data) {
      count.textContent = state.partial ? "the newest " + state.rows.length + ", loading all…"
        : state.rows.length + " experiment" + (state.rows.length === 1 ? "" : "s");
    }
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

  /** Draw a list; `partial`: only its first rows, the rest is on its way. */
  function show(data, partial) {
    errorBox.hidden = true;
    errorBox.replaceChildren();
    input.removeAttribute("aria-invalid");
    state.data = data;
    state.partial = partial;
    renderChooser();
    cols = columns();
    sortRows();
    paint();
    grid.dataset.rows = String(state.rows.length);
    grid.dataset.complete = partial ? "false" : "true";
    if (!performance.getEntriesByName("mlx-experiments-ready").length) {
      // When the first rows are drawn and answer clicks (benchmarks and tests wait for it).
      performance.mark("mlx-experiments-ready");
      main.dataset.ready = "experiments";
    }
    if (!partial && !performance.getEntriesByName("mlx-experiments-complete").length) {
      performance.mark("mlx-experiments-complete");
    }
  }

  async function load() {
    const params = new URLSearchParams();
    if (state.filter.trim()) params.set("filter", state.filter);
    try {
      if (state.filter.trim()) {
        // Checked first: a bad filter is an answer, not a failed request in the console.
        const check = await api("/api/filter?" + params.toString());
        if (!check.valid) throw new ApiError(400, check);
      }
      // A fresh page in the default order (newest first) shows the newest rows at once, then
      // all of them: the whole list of a big project takes a while to make and to send.
      const quick = !state.data && state.sort.key === "created" && state.sort.dir === "desc";
      if (quick) {
        const first = await api("/api/experiments?" + params.toString() + "&limit=" + FIRST_ROWS);
        show(first, first.experiments.length === FIRST_ROWS);
        if (first.experiments.length < FIRST_ROWS) return;
      }
      show(await api("/api/experiments?" + params.toString()), false);
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
