// mlx ui: the page's script, in plain JavaScript with no build step, loaded as classic scripts
// that share one global scope (util.js first, app.js last). Every text that comes from the
// project (names, params, tags, paths, logs) is inserted as text (textContent or text nodes),
// never as HTML. Drawn things carry data attributes (data-row-id, data-series, data-points,
// data-stage, data-edge) that browser tests read.
"use strict";
// Helpers: building elements, calling the API with the write token, formatting.

const TOKEN = document.querySelector('meta[name="mlx-token"]').content;
const ROW = 28;
const POINTS = 2000;
const POLL_MS = 2000;
/** Rows a fresh experiments page shows before the whole list arrives. */
const FIRST_ROWS = 200;
const COLORS = ["#2f6fdf", "#e4572e", "#17a589", "#8e44ad", "#f39c12", "#2c3e50",
  "#c0392b", "#16a085", "#d35400", "#7f8c8d"];


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
