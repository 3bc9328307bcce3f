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
    const item = entry(node.status, `${node.id.slice("signal:".length)} is ${node.status}`, node.reason ?? "", `${since(node)} · ${flows}`, node.id);
    // Each impacted flow's recent kept traces (failed, slow, sampled): where its requests' time went.
    for (const flow of node.impacted_flows) {
      const link = document.createElement("a");
      link.className = "traces";
      link.href = `/debug/traces?flow=${encodeURIComponent(flow)}${token ? `#token=${encodeURIComponent(token)}` : ""}`;
      link.textContent = `${flow} traces`;
      item.appendChild(link);
    }
    why.appendChild(item);
  }
  const cascade = troubled.filter(n => n.kind !== "signal").sort((a, b) => ["component", "flow", "region"].indexOf(a.kind) - ["component", "flow", "region"].indexOf(b.kind));
  if (cascade.length) why.appendChild(heading("Cascade"));
  for (const node of cascade) {
    why.appendChild(entry(node.status, `${node.id} is ${node.status}`, `because of ${node.root_signals.join(", ")}`, since(node), node.id));
  }
  if (!troubled.length && !why.children.length) why.textContent = "Everything is healthy.";
}

function since(node) {
  if (!node.since) return "";
  const started = new Date(node.since);
  return `since ${started.toLocaleTimeString()} (for ${duration(Date.now() - started.getTime())})`;
}

function duration(milliseconds) {
  const seconds = Math.max(0, Math.round(milliseconds / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor(seconds / 60) % 60} min`;
}

// What happened before, from /health/history: read whole once, then only what was recorded after the
// last answer's `until`; fifteen minutes are kept and drawn.
const keptFor = 15 * 60 * 1000;
const past = { until: null, now: 0, series: new Map(), changes: [] };
const rank = { healthy: 0, degraded: 1, unhealthy: 2 };

function remember(answer) {
  past.until = answer.until;
  past.now = Math.max(past.now, Date.parse(answer.until));
  const oldest = past.now - keptFor;
  for (const signal of answer.signals) {
    const series = past.series.get(signal.id) ?? { unit: signal.unit, times: [], values: [], states: "" };
    series.unit = signal.unit;
    series.times.push(...signal.times_ms);
    series.values.push(...signal.values);
    series.states += signal.states;
    const drop = series.times.findIndex(time => time >= oldest);
    const cut = drop < 0 ? series.times.length : drop;
    series.times.splice(0, cut); series.values.splice(0, cut); series.states = series.states.slice(cut);
    past.series.set(signal.id, series);
  }
  past.changes.push(...answer.changes.map(change => ({ ...change, time: Date.parse(change.at) })));
  past.changes = past.changes.filter(change => change.time >= oldest);
}

const stateNames = { h: "healthy", d: "degraded", u: "unhealthy" };

/// The stretch of time drawn: what is kept, down to what there is (a region started a minute ago gets
/// a minute's width), and never under a minute.
function shownWindow() {
  let oldest = past.now;
  for (const series of past.series.values()) if (series.times.length) oldest = Math.min(oldest, series.times[0]);
  for (const change of past.changes) oldest = Math.min(oldest, change.time);
  const shown = Math.min(keptFor, Math.max(60 * 1000, past.now - oldest));
  return { start: past.now - shown, shown };
}

function drawSparklines() {
  const box = document.getElementById("sparklines");
  box.replaceChildren();
  const { start, shown: width } = shownWindow();
  document.getElementById("signals-title").textContent = `Signals, last ${duration(width)}`;
  for (const [id, series] of [...past.series.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    const row = document.createElement("div");
    row.className = "spark";
    row.dataset.signal = id;
    const name = document.createElement("span");
    name.textContent = id;
    const last = series.values[series.values.length - 1];
    const shown = document.createElement("span");
    shown.textContent = last === null || last === undefined ? "no value" : value({ observed_value: last, observed_unit: series.unit });
    const svg = el("svg", { viewBox: "0 0 300 30", preserveAspectRatio: "none", role: "img",
                            "aria-label": `${id} over the last ${duration(width)}` });
    const x = time => (time - start) / width * 300;
    // Each sample's own state along the bottom; a gap where the probe got no value.
    series.times.forEach((time, index) => {
      el("rect", { x: x(time), y: 22, width: Math.max(1, 300 * 1000 / width), height: 8,
                   class: stateNames[series.states[index]] }, svg);
    });
    const present = series.values.filter(v => v !== null);
    const high = Math.max(...present, 0) || 1;
    let path = "";
    series.times.forEach((time, index) => {
      const v = series.values[index];
      if (v === null) { path += " "; return; }
      const point = `${x(time).toFixed(1)},${(20 - v / high * 18).toFixed(1)}`;
      path += path.endsWith(" ") || path === "" ? `M${point}` : `L${point}`;
    });
    if (path.trim()) el("path", { d: path.trim().replace(/ +/g, " "), class: "line" }, svg);
    row.append(name, shown, svg);
    box.appendChild(row);
  }
}

/// The start of the latest fault: when the first of the region's root signals worsened after the
/// region was last healthy, on the way to its latest turn for the worse (any signal's, if none of the
/// roots changed in the window).
function faultStart(changes) {
  const region = changes.filter(change => change.node === "region");
  const turn = [...region].reverse().find(change => change.to !== "healthy" && (change.from ?? "healthy") === "healthy");
  if (!turn) return null;
  const healthyBefore = [...region].reverse().find(change => change.to === "healthy" && change.time < turn.time);
  const after = healthyBefore ? healthyBefore.time : -Infinity;
  const worsened = changes.filter(change => change.node.startsWith("signal:") && change.time > after && change.time <= turn.time
                                            && rank[change.to] > rank[change.from ?? "healthy"]);
  const root = worsened.find(change => turn.root_signals.includes(change.node.slice("signal:".length)));
  return root ?? worsened[0] ?? turn;
}

function drawTimeline() {
  const box = document.getElementById("timeline");
  box.replaceChildren();
  const { start, shown } = shownWindow();
  const kinds = ["region", "flow:", "component:", "signal:"];
  const order = node => kinds.findIndex(kind => node.startsWith(kind));
  const lanes = [...new Set(past.changes.filter(change => change.from !== undefined).map(change => change.node))]
    .sort((a, b) => order(a) - order(b) || a.localeCompare(b)).slice(0, 24);
  const left = 230, width = 980, laneHeight = 16;
  const height = 34 + lanes.length * laneHeight;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Timeline of state changes" }, box);
  const x = time => left + (time - start) / shown * (width - left - 10);
  for (let tick = 0; tick <= 3; tick += 1) {
    const time = start + tick * shown / 3;
    el("text", { x: x(time), y: 10, class: "axis", "text-anchor": ["start", "middle", "middle", "end"][tick] }, svg).textContent =
      new Date(time).toLocaleTimeString();
  }
  lanes.forEach((node, index) => {
    const y = 18 + index * laneHeight;
    el("text", { x: 0, y: y + 11, class: "lane" }, svg).textContent = node;
    const own = past.changes.filter(change => change.node === node);
    // A lane starts in the state its first change left, back to the start of what is kept.
    let from = start, state = own[0]?.from;
    for (const change of own.concat([{ time: past.now, to: null }])) {
      if (state) {
        el("rect", { x: x(from), y, width: Math.max(1, x(change.time) - x(from)), height: laneHeight - 3, class: state,
                     "data-node": node }, svg);
      }
      from = change.time; state = change.to;
    }
  });
  const fault = faultStart(past.changes);
  if (fault && fault.time >= start) {
    svg.dataset.faultStart = fault.at;
    el("line", { x1: x(fault.time), x2: x(fault.time), y1: 12, y2: height, class: "fault" }, svg);
    // The label reads away from the nearer edge, so it is never cut off.
    const right = x(fault.time) > (left + width) / 2;
    el("text", { x: x(fault.time) + (right ? -4 : 4), y: height - 4, class: "fault-label",
                 "text-anchor": right ? "end" : "start" }, svg).textContent =
      `fault began ${new Date(fault.time).toLocaleTimeString()}: ${fault.node.slice("signal:".length)}`;
  }
  const list = document.getElementById("changes");
  list.replaceChildren();
  for (const change of [...past.changes].reverse().slice(0, 200)) {
    const item = document.createElement("li");
    item.className = change.to;
    item.dataset.node = change.node;
    const time = new Date(change.time);
    const stamp = `${time.toLocaleTimeString()}.${String(time.getMilliseconds()).padStart(3, "0")}`;
    item.textContent = `${stamp}  ${change.node}  ${change.from ?? "(new)"} → ${change.to}` + (change.reason ? `: ${change.reason}` : "");
    list.appendChild(item);
  }
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
const headers = token ? { Authorization: `Bearer ${token}` } : {};
async function refresh() {
  try {
    const response = await fetch("/health", { cache: "no-store", headers });
    draw(await response.json());
    document.getElementById("error").textContent = "";
  } catch (error) {
    document.getElementById("error").textContent = `cannot read /health: ${error.message}`;
  }
  await refreshHistory();
}

async function refreshHistory() {
  const note = document.getElementById("history-note");
  try {
    const query = past.until ? `?since=${encodeURIComponent(past.until)}` : "";
    const response = await fetch(`/health/history${query}`, { cache: "no-store", headers });
    if (response.status === 401) {
      note.textContent = "The history needs the observer token: open this page as /health/dashboard#token=…";
      return;
    }
    if (!response.ok) throw new Error(`answered ${response.status}`);
    remember(await response.json());
    note.textContent = "";
    drawSparklines();
    drawTimeline();
  } catch (error) {
    note.textContent = `cannot read /health/history: ${error.message}`;
  }
}
refresh();
setInterval(refresh, 2000);
