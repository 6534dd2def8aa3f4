"use strict";
// The pipeline graph as SVG: a stage sits right of the stages it reads from.

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
