/// The page's stylesheet and script, served by the dashboard itself (`dashboard.css`,
/// `dashboard.js`): nothing is loaded from another origin, and the script is these few lines,
/// no package.
///
/// The script reads the JSON every `data-refresh` milliseconds and puts its values in place:
/// the table's cells (``MailboxSnapshot/cells``), the charts' paths
/// (``ChartDrawing``), the dead letters (built with `textContent`, never as HTML). A mailbox
/// that appears or goes reloads the page. Forms are sent with `fetch` and the answer shown in
/// the status line; purge and remove ask first.
public enum DashboardAssets: Sendable {
    /// `dashboard.js`.
    public static let script = #"""
        "use strict";
        (() => {
          const body = document.body, url = body.dataset.snapshot, csrf = body.dataset.csrf;
          const every = Number(body.dataset.refresh) || 2000, actions = url.replace(/snapshot\.json$/, "actions/");
          const status = document.getElementById("status");
          let timer = null, shown = new Map();
          const element = (tag, text, className) => {
            const made = document.createElement(tag);
            if (text !== undefined) made.textContent = text;
            if (className) made.className = className;
            return made;
          };
          const form = (kind, mailbox, ids, label) => {
            const made = element("form", undefined, "action " + kind);
            made.method = "post";
            made.action = actions + kind;
            for (const [name, value] of [["csrf", csrf], ["mailbox", mailbox], ...ids.map((id) => ["id", id])]) {
              const input = element("input");
              Object.assign(input, { type: "hidden", name, value });
              made.append(input);
            }
            const button = element("button", label);
            button.type = "submit";
            made.append(button);
            return made;
          };
          const deadLetters = (section, mailbox, snapshot) => {
            const list = JSON.stringify(mailbox.deadLetterList);
            if (!shown.has(mailbox.name)) shown.set(mailbox.name, list);
            if (shown.get(mailbox.name) === list) return;
            shown.set(mailbox.name, list);
            const rows = section.querySelector("table.dead tbody");
            rows.replaceChildren();
            const requeue = csrf && snapshot.canAct && mailbox.actions.includes("requeue");
            for (const letter of mailbox.deadLetterList) {
              const row = element("tr");
              row.dataset.id = letter.id;
              const id = element("td");
              id.append(element("code", letter.id));
              const reason = element("td");
              reason.append(element("span", letter.reason.label, "reason " + letter.reason.kind), " " + letter.reason.text);
              const event = (letter.eventName ?? "—") + (letter.schemaVersion ? " v" + letter.schemaVersion : "");
              row.append(id, element("td", event), reason, element("td", String(letter.attempts)),
                element("td", String(letter.crashes)), element("td", letter.deadLetteredAt ?? "—"));
              if (snapshot.bodiesShown) {
                const cell = element("td");
                cell.append(element("code", letter.body ?? ""));
                row.append(cell);
              }
              if (requeue) {
                const cell = element("td");
                cell.append(form("requeue", mailbox.name, [letter.id], "requeue"));
                row.append(cell);
              }
              rows.append(row);
            }
            const all = section.querySelector(".requeue-all");
            if (all) all.hidden = mailbox.deadLetters === 0;
          };
          const update = (snapshot) => {
            const rows = [...document.querySelectorAll("#mailboxes tbody tr")];
            const names = snapshot.mailboxes.map((mailbox) => mailbox.name);
            if (rows.length !== names.length || rows.some((row, index) => row.dataset.mailbox !== names[index])) {
              location.reload();
              return;
            }
            const sections = [...document.querySelectorAll("section.mailbox")];
            snapshot.mailboxes.forEach((mailbox, index) => {
              for (const cell of rows[index].querySelectorAll("td[data-field]")) {
                cell.textContent = mailbox.cells[cell.dataset.field] ?? "";
                if (cell.dataset.field === "forecast") cell.className = mailbox.forecast ? mailbox.forecast.kind : "none";
              }
              const section = sections[index];
              for (const span of section.querySelectorAll("span[data-field]")) {
                span.textContent = mailbox.cells[span.dataset.field] ?? "";
              }
              const drawing = mailbox.chart && mailbox.chart.drawing;
              if (drawing) {
                for (const path of section.querySelectorAll("path[data-path]")) {
                  path.setAttribute("d", drawing[path.dataset.path]);
                }
                const now = section.querySelector("line.now");
                if (now) { now.setAttribute("x1", drawing.nowX); now.setAttribute("x2", drawing.nowX); }
                const depth = section.querySelector("[data-scale=depth]"), rate = section.querySelector("[data-scale=rate]");
                // As DashboardFormat writes them: whole depths, rates with one decimal below 10.
                const rateText = drawing.rateScale.toFixed(Math.abs(drawing.rateScale) < 9.95 ? 1 : 0);
                if (depth) depth.textContent = "depth ≤ " + drawing.depthScale.toFixed(0);
                if (rate) rate.textContent = "R, C ≤ " + rateText + "/s";
              }
              deadLetters(section, mailbox, snapshot);
            });
            document.getElementById("updated").textContent = snapshot.generatedAt;
            body.dataset.updates = String(Number(body.dataset.updates || 0) + 1);
          };
          const refresh = () => {
            clearTimeout(timer);
            fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
              .then((response) => response.ok ? response.json() : Promise.reject(new Error("HTTP " + response.status)))
              .then(update)
              .catch((error) => { status.textContent = "not updated: " + error.message; })
              .finally(() => { timer = setTimeout(refresh, every); });
          };
          document.addEventListener("submit", (event) => {
            const sent = event.target;
            if (!sent.classList.contains("action")) return;
            event.preventDefault();
            const kind = sent.action.split("/").pop(), mailbox = sent.elements.mailbox.value;
            if ((kind === "purge" || kind === "remove") && !confirm(kind + " " + mailbox + "?")) return;
            fetch(sent.action, {
              method: "POST", credentials: "same-origin", body: new URLSearchParams(new FormData(sent)),
              headers: { Accept: "application/json" },
            })
              .then((response) => response.json())
              .then((answer) => { status.textContent = answer.message; })
              .catch((error) => { status.textContent = kind + " failed: " + error.message; })
              .finally(refresh);
          });
          timer = setTimeout(refresh, every);
        })();
        """#

    /// `dashboard.css`.
    public static let stylesheet = """
        :root { color-scheme: light; --depth: #1f6feb; --arrival: #c2410c; --consume: #047857; --muted: #6b7280; }
        body { font: 14px/1.4 system-ui, sans-serif; margin: 0 24px 48px; color: #111827; background: #fff; }
        header { border-bottom: 1px solid #e5e7eb; margin-bottom: 16px; }
        h1 { font-size: 20px; margin: 16px 0 4px; }
        h2 { font-size: 16px; margin: 28px 0 6px; }
        h2 small, h3 small { color: var(--muted); font-weight: normal; }
        h3 { font-size: 14px; margin: 12px 0 4px; }
        .meta, .legend, .note { color: var(--muted); margin: 4px 0; }
        .notice { background: #eff6ff; border-left: 4px solid var(--depth); padding: 6px 10px; }
        .readonly { background: #f9fafb; border-left: 4px solid #9ca3af; padding: 6px 10px; }
        #status { color: #111827; font-weight: 600; }
        table { border-collapse: collapse; margin: 4px 0; }
        th, td { padding: 3px 10px; border-bottom: 1px solid #e5e7eb; text-align: right; vertical-align: top; }
        th:first-child, td:first-child, table.dead td, table.dead th { text-align: left; }
        thead th { font-weight: 600; color: #374151; background: #f9fafb; }
        td.grows, td.fills { color: #b91c1c; font-weight: 600; }
        td.drains { color: var(--consume); }
        td.steady { color: #b45309; }
        code { font: 12px ui-monospace, monospace; word-break: break-all; }
        table.dead code { font-size: 11px; white-space: nowrap; }
        table.dead td:nth-child(2), table.dead td:nth-child(6) { white-space: nowrap; }
        table.dead td:nth-child(3) { min-width: 18em; max-width: 36em; }
        section.mailbox { border-top: 1px solid #e5e7eb; }
        svg.chart { width: 100%; max-width: 720px; height: auto; background: #f3f4f6; }
        svg.chart rect.panel { fill: #fff; stroke: #e5e7eb; }
        svg.chart path { fill: none; stroke-width: 1.5; }
        svg.chart path.depth { stroke: var(--depth); }
        svg.chart path.forecast { stroke: var(--depth); stroke-dasharray: 5 4; opacity: .7; }
        svg.chart path.arrival { stroke: var(--arrival); stroke-width: 4; opacity: .45; }
        svg.chart path.consume { stroke: var(--consume); }
        svg.chart path.capacity { stroke: #b91c1c; stroke-dasharray: 2 3; }
        svg.chart line.now { stroke: #9ca3af; stroke-dasharray: 2 2; }
        svg.chart text { font-size: 10px; fill: var(--muted); }
        .key::before { content: ""; display: inline-block; width: 14px; height: 3px; margin: 0 4px 3px 8px; }
        .key.depth::before { background: var(--depth); }
        .key.forecast::before { border-top: 2px dashed var(--depth); height: 0; }
        .key.arrival::before { background: var(--arrival); }
        .key.consume::before { background: var(--consume); }
        .reason { display: inline-block; padding: 0 6px; border-radius: 3px; background: #fee2e2; color: #991b1b; font-size: 12px; }
        .reason.undecodable, .reason.unknownVersion, .reason.undecryptable { background: #fef3c7; color: #92400e; }
        .recovery.problems, .warning { color: #b45309; }
        form.action { display: inline; margin: 0 4px 0 0; }
        .actions { margin: 6px 0; }
        button { font: inherit; padding: 1px 10px; cursor: pointer; }
        form.purge button, form.remove button { color: #991b1b; }
        """
}
