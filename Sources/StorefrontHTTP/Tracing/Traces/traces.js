const token = new URLSearchParams(location.hash.slice(1)).get("token");
const headers = { Accept: "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) };
const fragment = token ? `#token=${encodeURIComponent(token)}` : "";
const content = document.getElementById("content");
const note = document.getElementById("note");

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function list(document_) {
  document.getElementById("title").textContent = `Traces kept in ${document_.region}`;
  note.textContent = "The most recent kept traces, the failed ones and the slowest of the last ten minutes. Filter with ?flow= or ?route=.";
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const name of ["started", "request", "flow", "status", "ms", "kept because", "spans", "trace"]) cell(head, name);
  for (const trace of document_.traces) {
    const row = table.insertRow();
    if (trace.failed) row.className = "failed";
    cell(row, new Date(trace.start_ms).toLocaleTimeString());
    cell(row, trace.name);
    cell(row, trace.flow);
    cell(row, trace.status);
    cell(row, trace.duration_ms.toFixed(1));
    cell(row, trace.reasons.join(", "));
    cell(row, trace.spans);
    const link = document.createElement("a");
    link.href = `/debug/traces/${trace.trace_id}${fragment}`;
    link.textContent = trace.trace_id;
    cell(row, "").appendChild(link);
  }
  content.replaceChildren(table);
}

function waterfall(document_) {
  document.getElementById("title").textContent = `Trace ${document_.trace_id} in ${document_.region}`;
  note.textContent = "This region's spans of the trace; a forward's spans in the home region are in that region's view, under the same id.";
  content.replaceChildren();
  for (const part of document_.parts) {
    const total = Math.max(...part.spans.map(span => span.offset_ms + span.duration_ms), 0.001);
    const depth = new Map();
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    for (const name of ["span", "ms", "", "attributes"]) cell(head, name);
    for (const span of part.spans) {
      const level = span.parent_span_id && depth.has(span.parent_span_id) ? depth.get(span.parent_span_id) + 1 : 0;
      depth.set(span.span_id, level);
      const row = table.insertRow();
      if (span.status === "error") row.className = "failed";
      const name = cell(row, `${"\u00a0\u00a0".repeat(level)}${span.name}`);
      name.title = `${span.kind} span ${span.span_id}`;
      cell(row, span.duration_ms.toFixed(3));
      const bar = cell(row, "", "bar");
      const block = document.createElement("div");
      block.style.left = `${(100 * span.offset_ms) / total}%`;
      block.style.width = `${(100 * span.duration_ms) / total}%`;
      if (span.status === "error") block.className = "error";
      bar.appendChild(block);
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = `${span.attributes.length} attributes${span.events.length ? `, ${span.events.length} events` : ""}`;
      details.appendChild(summary);
      for (const pair of span.attributes) {
        const line = document.createElement("div");
        line.innerHTML = "<code></code> ";
        line.firstChild.textContent = pair.key;
        line.append(pair.value);
        details.appendChild(line);
      }
      for (const event of span.events) {
        const line = document.createElement("div");
        line.textContent = `${event.name} at +${event.offset_ms.toFixed(3)} ms: ${event.attributes.map(pair => `${pair.key}=${pair.value}`).join(", ")}`;
        details.appendChild(line);
      }
      cell(row, "").appendChild(details);
    }
    const heading = document.createElement("h2");
    heading.textContent = `Kept because ${part.reasons.join(", ")}, started ${new Date(part.start_ms).toLocaleTimeString()}${part.dropped_spans ? `, ${part.dropped_spans} spans not kept` : ""}`;
    content.append(heading, table);
  }
}

fetch(location.pathname + location.search, { headers })
  .then(async response => {
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw new Error(problem.detail ?? `HTTP ${response.status}`);
    }
    return response.json();
  })
  .then(document_ => (document_.parts ? waterfall(document_) : list(document_)))
  .catch(error => { note.textContent = `${error.message}${token ? "" : " Open this page with #token=<observer token>."}`; });
