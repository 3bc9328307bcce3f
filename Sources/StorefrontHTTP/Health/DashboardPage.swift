import Foundation
import StorefrontCore

/// `GET /health/dashboard`: one self-contained page (no external assets) that draws the region's health
/// model as a graph — signals, components, flows, region — refreshed from `/health` every two seconds,
/// with the cascade from every troubled signal highlighted.
enum DashboardPage {
    /// The page may run its own script and style and no other, and talk to this origin only: hashes rather
    /// than 'unsafe-inline', so nothing injected into the page could run.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'sha256-\(sha256Base64(inline("script")))'; "
        + "style-src 'sha256-\(sha256Base64(inline("style")))'; connect-src 'self'; img-src data:; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The text between `<tag>` and `</tag>`, exactly as the browser hashes it.
    private static func inline(_ tag: String) -> Substring {
        let start = html.range(of: "<\(tag)>")!.upperBound
        return html[start..<html.range(of: "</\(tag)>", range: start..<html.endIndex)!.lowerBound]
    }

    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Storefront health</title>
        <style>
          :root { --healthy: #1f9d55; --degraded: #d69e2e; --unhealthy: #e53e3e; --unknown: #a0aec0; --ink: #1a202c; --muted: #718096; }
          * { box-sizing: border-box; }
          body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f7fafc; }
          header { display: flex; gap: 16px; align-items: center; padding: 12px 20px; background: #fff; border-bottom: 1px solid #e2e8f0; }
          header h1 { font-size: 18px; margin: 0; }
          .badge { padding: 2px 10px; border-radius: 12px; color: #fff; font-weight: 600; }
          .badge.healthy { background: var(--healthy); } .badge.degraded { background: var(--degraded); }
          .badge.unhealthy { background: var(--unhealthy); } .badge.unknown { background: var(--unknown); }
          #meta { color: var(--muted); margin-left: auto; }
          main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(280px, 1fr); gap: 16px; padding: 16px 20px; }
          svg { width: 100%; background: #fff; border: 1px solid #e2e8f0; border-radius: 6px; }
          .node rect { rx: 6; stroke-width: 2; fill: #fff; }
          .node.healthy rect { stroke: var(--healthy); } .node.degraded rect { stroke: var(--degraded); fill: #fffaf0; }
          .node.unhealthy rect { stroke: var(--unhealthy); fill: #fff5f5; } .node.unknown rect { stroke: var(--unknown); }
          .node text { font-size: 12px; fill: var(--ink); pointer-events: none; }
          .node text.value { fill: var(--muted); font-size: 11px; }
          .node { cursor: pointer; }
          .edge { fill: none; stroke: #cbd5e0; stroke-width: 1.2; }
          .edge.cascade.degraded { stroke: var(--degraded); stroke-width: 3; }
          .edge.cascade.unhealthy { stroke: var(--unhealthy); stroke-width: 3; }
          .edge.focus { stroke: #2b6cb0; stroke-width: 3.5; }
          .column { font-size: 12px; font-weight: 700; fill: var(--muted); text-transform: uppercase; letter-spacing: .06em; }
          aside { background: #fff; border: 1px solid #e2e8f0; border-radius: 6px; padding: 12px 16px; }
          aside h2 { font-size: 15px; margin: 4px 0 8px; }
          aside h3 { font-size: 13px; margin: 14px 0 4px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
          .why { border-left: 4px solid var(--unknown); padding: 4px 10px; margin: 8px 0; }
          .why.degraded { border-color: var(--degraded); } .why.unhealthy { border-color: var(--unhealthy); }
          .why b { display: block; } .why small { color: var(--muted); display: block; }
          #error { color: var(--unhealthy); font-weight: 600; }
        </style>
        </head>
        <body>
        <header>
          <h1>Storefront <span id="region">…</span></h1>
          <span id="state" class="badge unknown">loading</span>
          <span id="readiness" class="badge unknown">…</span>
          <span id="error"></span>
          <span id="meta"></span>
        </header>
        <main>
          <svg id="graph" role="img" aria-label="Health model graph"></svg>
          <aside>
            <h2>What is wrong, and what it takes down</h2>
            <div id="why"><p>Waiting for the first evaluation…</p></div>
          </aside>
        </main>
        <script>
        "use strict";
        const SVG = "http://www.w3.org/2000/svg";
        const columns = [["signal", "Signals"], ["component", "Components"], ["flow", "User flows"], ["region", "Region"]];
        let focused = null;
        let latest = null;

        function el(name, attributes, parent) {
          const node = document.createElementNS(SVG, name);
          for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
          if (parent) parent.appendChild(node);
          return node;
        }

        function label(node) {
          const name = node.id.slice(node.id.indexOf(":") + 1);
          return node.kind === "region" ? (latest ? latest.region : name) : name;
        }

        function value(node) {
          if (node.observed_value === undefined || node.observed_value === null) return "";
          if (node.observed_unit === "ratio") return (node.observed_value * 100).toFixed(1) + " %";
          const number = Math.abs(node.observed_value) >= 100 ? node.observed_value.toFixed(0) : node.observed_value.toFixed(1);
          return number + " " + node.observed_unit;
        }

        /// Edges from what a node depends on to the node; a component no flow needs feeds the region directly.
        function edges(nodes) {
          const list = [];
          const byId = new Map(nodes.map(n => [n.id, n]));
          const fed = new Set();
          for (const node of nodes) {
            for (const dependency of node.depends_on) {
              if (node.kind === "region" && byId.get(dependency)?.kind === "component") continue;
              list.push([dependency, node.id]);
              fed.add(dependency);
            }
          }
          for (const node of nodes) if (node.kind === "component" && !fed.has(node.id)) list.push([node.id, "region"]);
          return list;
        }

        /// The cascade of a troubled signal: its component, the flows it reaches, the region.
        function cascadeOf(signal, byId) {
          const path = new Set([signal.id]);
          const name = signal.id.slice("signal:".length);
          for (const node of byId.values()) {
            if (node.kind !== "signal" && node.root_signals.includes(name)) path.add(node.id);
          }
          return path;
        }

        function draw(health) {
          latest = health;
          const nodes = health.nodes;
          const byId = new Map(nodes.map(n => [n.id, n]));
          const svg = document.getElementById("graph");
          svg.replaceChildren();
          const width = 980, rowHeight = 40, top = 40, boxHeight = 30;
          // Signals carry a value, so their column is wider.
          const layout = { signal: [10, 280], component: [340, 180], flow: [570, 180], region: [790, 180] };
          const positions = new Map();
          let height = 0;
          const span = nodes.filter(n => n.kind === "signal").length * rowHeight;
          for (const [kind, title] of columns) {
            const [x, boxWidth] = layout[kind];
            el("text", { x, y: 22, class: "column" }, svg).textContent = title;
            const members = nodes.filter(n => n.kind === kind);
            const total = members.length * rowHeight;
            members.forEach((node, row) => {
              const y = top + Math.max(0, span - total) / 2 + row * rowHeight;
              positions.set(node.id, { x, y, width: boxWidth });
              height = Math.max(height, y + boxHeight + 10);
            });
          }
          svg.setAttribute("viewBox", `0 0 ${width} ${height}`);

          const focus = focused && byId.has(focused) ? cascadeOf(byId.get(focused), byId) : null;
          const troubled = nodes.filter(n => n.kind === "signal" && n.status !== "healthy").map(n => cascadeOf(n, byId));
          const edgeLayer = el("g", {}, svg);
          for (const [from, to] of edges(nodes)) {
            const a = positions.get(from), b = positions.get(to);
            if (!a || !b) continue;
            const x1 = a.x + a.width, y1 = a.y + boxHeight / 2, x2 = b.x, y2 = b.y + boxHeight / 2;
            const classes = ["edge"];
            const target = byId.get(to);
            if (target.status !== "healthy" && troubled.some(path => path.has(from) && path.has(to))) classes.push("cascade", target.status);
            if (focus && focus.has(from) && focus.has(to)) classes.push("focus");
            el("path", { d: `M${x1},${y1} C${x1 + 60},${y1} ${x2 - 60},${y2} ${x2},${y2}`, class: classes.join(" "),
                         "data-from": from, "data-to": to }, edgeLayer);
          }
          for (const node of nodes) {
            const p = positions.get(node.id);
            const group = el("g", { class: `node ${node.status}`, "data-id": node.id, "data-state": node.status,
                                    transform: `translate(${p.x},${p.y})` }, svg);
            el("title", {}, group).textContent = `${node.id}: ${node.reason ?? node.status}`;
            el("rect", { width: p.width, height: boxHeight }, group);
            el("text", { x: 8, y: 19 }, group).textContent = label(node);
            const shown = value(node);
            if (shown) el("text", { x: p.width - 8, y: 19, "text-anchor": "end", class: "value" }, group).textContent = shown;
            // Clicking a signal traces its own cascade.
            if (node.kind === "signal") group.addEventListener("click", () => { focused = focused === node.id ? null : node.id; draw(latest); });
          }
          explain(health, byId);
        }

        function explain(health, byId) {
          const state = byId.get("region")?.status ?? "unknown";
          document.getElementById("region").textContent = health.region;
          const badge = document.getElementById("state");
          badge.className = `badge ${state}`;
          badge.textContent = state;
          const readiness = document.getElementById("readiness");
          readiness.className = `badge ${health.ready ? "healthy" : "unhealthy"}`;
          readiness.textContent = health.draining ? `draining: ${health.draining.reason}` : (health.ready ? "ready" : "not ready");
          document.getElementById("meta").textContent = health.evaluated_at ? `evaluated ${new Date(health.evaluated_at).toLocaleTimeString()}` : "";
          const why = document.getElementById("why");
          why.replaceChildren();
          // Flow reasons repeat their root signals', which are listed below; the other notes are not.
          for (const note of health.notes.filter(note => !/^[a-z_]+ is unhealthy: /.test(note))) {
            why.appendChild(entry("unhealthy", "Not ready", note, ""));
          }
          const troubled = health.nodes.filter(n => n.status !== "healthy");
          const roots = troubled.filter(n => n.kind === "signal");
          if (roots.length) why.appendChild(heading("Root causes"));
          for (const node of roots) {
            const flows = node.impacted_flows.length ? `impacts ${node.impacted_flows.join(", ")}` : "impacts no flow";
            why.appendChild(entry(node.status, `${node.id.slice("signal:".length)} is ${node.status}`, node.reason ?? "", `${since(node)} · ${flows}`, node.id));
          }
          const cascade = troubled.filter(n => n.kind !== "signal").sort((a, b) => ["component", "flow", "region"].indexOf(a.kind) - ["component", "flow", "region"].indexOf(b.kind));
          if (cascade.length) why.appendChild(heading("Cascade"));
          for (const node of cascade) {
            why.appendChild(entry(node.status, `${node.id} is ${node.status}`, `because of ${node.root_signals.join(", ")}`, since(node), node.id));
          }
          if (!troubled.length && !why.children.length) why.textContent = "Everything is healthy.";
        }

        function since(node) {
          return node.since ? `since ${new Date(node.since).toLocaleTimeString()}` : "";
        }

        function heading(text) {
          const h = document.createElement("h3");
          h.textContent = text;
          return h;
        }

        function entry(status, title, reason, detail, id) {
          const item = document.createElement("div");
          item.className = `why ${status}`;
          if (id) item.dataset.id = id;
          const b = document.createElement("b");
          b.textContent = title;
          const span = document.createElement("span");
          span.textContent = reason;
          const small = document.createElement("small");
          small.textContent = detail;
          item.append(b, span, small);
          return item;
        }

        // The observer token that unlocks reasons and figures comes in the fragment (#token=...), which a
        // browser never sends to a server or a log.
        const token = new URLSearchParams(location.hash.slice(1)).get("token");
        async function refresh() {
          try {
            const response = await fetch("/health", { cache: "no-store", headers: token ? { Authorization: `Bearer ${token}` } : {} });
            draw(await response.json());
            document.getElementById("error").textContent = "";
          } catch (error) {
            document.getElementById("error").textContent = `cannot read /health: ${error.message}`;
          }
        }
        refresh();
        setInterval(refresh, 2000);
        </script>
        </body>
        </html>
        """#
}
