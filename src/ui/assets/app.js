"use strict";
// Routing between the views, the selection shared by them, and live updates (polling what
// changed). Loaded last: it starts the page.

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
  else if (parts[0] === "drift") view = driftView(query);
  else view = { name: "missing", render() { main.replaceChildren(el("p", { text: "No such page." })); } };
  if (current && current.leave) current.leave();
  current = view;
  main.dataset.view = view.name;
  for (const a of document.querySelectorAll("header nav a")) {
    a.classList.toggle("active", a.dataset.nav === view.name || (view.name === "experiment" && a.dataset.nav === "experiments"));
  }
  view.render();
}


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
