/// The page a browser gets at `/debug/traces` and `/debug/traces/{trace_id}`: it reads the observer token from
/// the address's fragment (never sent to a server or a log), asks for the same address as JSON, and draws
/// the list, or one trace as a waterfall of this region's spans with each span's attributes.
enum TracesPage {
    static let contentSecurityPolicy = SelfContainedPage.contentSecurityPolicy(of: html)

    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Storefront traces</title>
        <style>
          body { font: 14px system-ui, sans-serif; color: #1a202c; margin: 1.5rem; }
          table { border-collapse: collapse; width: 100%; }
          th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #e2e8f0; white-space: nowrap; }
          td.bar { width: 50%; position: relative; }
          .bar div { position: absolute; top: 0.35rem; height: 0.8rem; background: #3182ce; min-width: 1px; }
          .bar div.error { background: #e53e3e; }
          .failed { color: #e53e3e; }
          .muted { color: #718096; }
          details { white-space: normal; }
          code { font-size: 12px; }
        </style>
        </head>
        <body>
        <h1 id="title">Traces</h1>
        <p id="note" class="muted"></p>
        <div id="content"></div>
        <script>
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
        </script>
        </body>
        </html>
        """#
}
