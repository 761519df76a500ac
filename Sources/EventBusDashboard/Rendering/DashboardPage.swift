import EventQueue

/// The dashboard's page: one HTML document, rendered from a ``DashboardSnapshot`` with every
/// name, reason and body escaped, SVG charts inline, and the stylesheet and script from the
/// dashboard itself (`dashboard.css`, `dashboard.js`). It works without the script; with it, it
/// updates itself from the JSON.
public enum DashboardPage: Sendable {
    /// The fields of a mailbox's row, in order: (field, column heading).
    public static let columns: [(field: String, heading: String)] = [
        ("kind", "kind"), ("depth", "depth"), ("inFlight", "in flight"), ("delayed", "delayed"),
        ("deadLetters", "dead letters"), ("capacity", "capacity"), ("arrivalRate", "R /s"),
        ("consumeRate", "C /s"), ("p50", "p50"), ("p99", "p99"), ("forecast", "forecast"),
    ]

    /// The page.
    ///
    /// - Parameters:
    ///   - snapshot: what to show.
    ///   - title: the page's title and heading.
    ///   - mount: where the dashboard is mounted (`/eventbus`, `""` at the root).
    ///   - csrfToken: the token every form carries; nil when the requester may not act (then
    ///     the page has no forms).
    ///   - refresh: milliseconds between two reads of the JSON by the page's script.
    public static func render(
        _ snapshot: DashboardSnapshot,
        title: String,
        mount: String,
        csrfToken: String?,
        refresh: Int
    ) -> String {
        let base = HTML.escape(mount)
        let canAct = snapshot.canAct && csrfToken != nil
        var html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title))</title>
            <link rel="stylesheet" href="\(base)/dashboard.css">
            <script src="\(base)/dashboard.js" defer></script>
            </head>
            <body data-snapshot="\(base)/snapshot.json" data-refresh="\(refresh)" data-csrf="\(canAct ? HTML.escape(csrfToken ?? "") : "")" data-bodies="\(snapshot.bodiesShown)">
            <header>
            <h1>\(HTML.escape(title))</h1>
            <p class="meta">\(snapshot.source == .live ? "live, from the application's bus" : "read from storage") · updated <time id="updated">\(HTML.escape(snapshot.generatedAt))</time> <span id="status" role="status"></span></p>

            """
        if let notice = snapshot.notice { html += "<p class=\"notice\">\(HTML.escape(notice))</p>\n" }
        if !canAct {
            html +=
                "<p class=\"readonly\">Read-only: requeue, purge and remove need an authorization check from the "
                + "application that allows them.</p>\n"
        }
        html += "</header>\n<main>\n"
        html += table(snapshot)
        for (index, mailbox) in snapshot.mailboxes.enumerated() {
            html += section(mailbox, index: index, snapshot: snapshot, base: base, csrf: canAct ? csrfToken : nil)
        }
        if snapshot.mailboxes.isEmpty { html += "<p class=\"empty\">No mailboxes, queues or consumer groups.</p>\n" }
        html += "</main>\n</body>\n</html>\n"
        return html
    }

    /// The table of every mailbox.
    static func table(_ snapshot: DashboardSnapshot) -> String {
        var html = "<table id=\"mailboxes\">\n<thead><tr><th>mailbox</th>"
        for column in columns { html += "<th>\(column.heading)</th>" }
        html += "</tr></thead>\n<tbody>\n"
        for (index, mailbox) in snapshot.mailboxes.enumerated() {
            html += "<tr data-mailbox=\"\(HTML.escape(mailbox.name))\"><th><a href=\"#mailbox-\(index)\">"
            html += HTML.escape(mailbox.name) + "</a></th>"
            let cells = mailbox.cells.isEmpty ? Self.cells(mailbox) : mailbox.cells
            for column in columns {
                let forecastClass = column.field == "forecast" ? " class=\"\(mailbox.forecast?.kind ?? "none")\"" : ""
                html +=
                    "<td data-field=\"\(column.field)\"\(forecastClass)>\(HTML.escape(cells[column.field] ?? ""))</td>"
            }
            html += "</tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    /// The table's cells of `mailbox` as the page writes them (what ``MailboxSnapshot/cells`` holds).
    public static func cells(_ mailbox: MailboxSnapshot) -> [String: String] {
        [
            "kind": mailbox.kind.rawValue,
            "depth": DashboardFormat.count(mailbox.depth),
            "inFlight": DashboardFormat.count(mailbox.inFlight),
            "delayed": DashboardFormat.count(mailbox.delayed),
            "deadLetters": DashboardFormat.count(mailbox.deadLetters),
            "capacity": mailbox.capacity.map(DashboardFormat.count) ?? "—",
            "arrivalRate": mailbox.arrivalRate.map(DashboardFormat.rate) ?? "—",
            "consumeRate": mailbox.consumeRate.map(DashboardFormat.rate) ?? "—",
            "p50": DashboardFormat.latency(mailbox.latencyP50),
            "p99": DashboardFormat.latency(mailbox.latencyP99),
            "forecast": mailbox.forecast?.text ?? "—",
            "deadLettered": mailbox.deadLettered.map(DashboardFormat.count) ?? "—",
        ]
    }

    /// One mailbox's section: its chart, recovery, actions and dead letters.
    static func section(
        _ mailbox: MailboxSnapshot,
        index: Int,
        snapshot: DashboardSnapshot,
        base: String,
        csrf: String?
    ) -> String {
        let name = HTML.escape(mailbox.name)
        var html = "<section class=\"mailbox\" id=\"mailbox-\(index)\" data-mailbox=\"\(name)\">\n"
        html += "<h2>\(name) <small>\(mailbox.kind.rawValue)</small></h2>\n"
        if let note = mailbox.note { html += "<p class=\"note\">\(HTML.escape(note))</p>\n" }
        if snapshot.source == .live {
            html += chart(mailbox, window: snapshot.chartWindow)
        }
        if let recovery = mailbox.recovery {
            html += self.recovery(recovery, label: snapshot.source == .live ? "Recovery" : "Files")
        }
        if let csrf {
            var forms = ""
            for kind in [DashboardActionKind.purge, .remove] where mailbox.actions.contains(kind) {
                forms += form(kind, mailbox: mailbox.name, ids: [], label: kind.rawValue, base: base, csrf: csrf)
            }
            if !forms.isEmpty { html += "<div class=\"actions\">\(forms)</div>\n" }
        }
        let cells = mailbox.cells.isEmpty ? Self.cells(mailbox) : mailbox.cells
        html += "<h3>Dead letters: <span data-field=\"deadLetters\">\(HTML.escape(cells["deadLetters"] ?? ""))</span>"
        if mailbox.deadLettered != nil {
            html += " <small>(dead-lettered since opened: <span data-field=\"deadLettered\">"
            html += "\(HTML.escape(cells["deadLettered"] ?? "—"))</span>)</small>"
        }
        html += "</h3>\n"
        let requeue = csrf != nil && mailbox.actions.contains(.requeue)
        html += "<table class=\"dead\"><thead><tr><th>id</th><th>event</th><th>reason</th><th>attempts</th>"
        html += "<th>crashes</th><th>dead since</th>"
        if snapshot.bodiesShown { html += "<th>body</th>" }
        if requeue { html += "<th></th>" }
        html += "</tr></thead>\n<tbody>\n"
        for letter in mailbox.deadLetterList {
            html += "<tr data-id=\"\(HTML.escape(letter.id))\"><td><code>\(HTML.escape(letter.id))</code></td>"
            html += "<td>\(HTML.escape(eventCell(letter)))</td>"
            html +=
                "<td><span class=\"reason \(HTML.escape(letter.reason.kind))\">\(HTML.escape(letter.reason.label))</span> "
            html += "\(HTML.escape(letter.reason.text))</td>"
            html += "<td>\(letter.attempts)</td><td>\(letter.crashes)</td>"
            html += "<td>\(HTML.escape(letter.deadLetteredAt ?? "—"))</td>"
            if snapshot.bodiesShown { html += "<td><code>\(HTML.escape(letter.body ?? ""))</code></td>" }
            if requeue, let csrf {
                html +=
                    "<td>"
                    + form(.requeue, mailbox: mailbox.name, ids: [letter.id], label: "requeue", base: base, csrf: csrf)
                html += "</td>"
            }
            html += "</tr>\n"
        }
        html += "</tbody></table>\n"
        if requeue, let csrf {
            html += "<div class=\"actions requeue-all\"\(mailbox.deadLetters == 0 ? " hidden" : "")>"
            html += form(.requeue, mailbox: mailbox.name, ids: [], label: "requeue all", base: base, csrf: csrf)
            html += "</div>\n"
        }
        return html + "</section>\n"
    }

    /// A dead letter's event: its name, and its schema version when known (`OrderPlaced v2`).
    public static func eventCell(_ letter: DeadLetterSnapshot) -> String {
        (letter.eventName ?? "—") + (letter.schemaVersion.map { " v\($0)" } ?? "")
    }

    /// A form that POSTs one action, with the CSRF token.
    static func form(
        _ kind: DashboardActionKind,
        mailbox: String,
        ids: [String],
        label: String,
        base: String,
        csrf: String
    ) -> String {
        var html =
            "<form method=\"post\" action=\"\(base)/actions/\(kind.rawValue)\" class=\"action \(kind.rawValue)\">"
        html += "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(csrf))\">"
        html += "<input type=\"hidden\" name=\"mailbox\" value=\"\(HTML.escape(mailbox))\">"
        for id in ids { html += "<input type=\"hidden\" name=\"id\" value=\"\(HTML.escape(id))\">" }
        return html + "<button type=\"submit\">\(HTML.escape(label))</button></form>"
    }

    /// The chart: the drawing's paths in an SVG (empty until the first sample).
    static func chart(_ mailbox: MailboxSnapshot, window: Double) -> String {
        let drawing = mailbox.chart?.drawing
        let width = formatDecimal(ChartMaker.width, places: 0)
        let height = formatDecimal(ChartMaker.height, places: 0)
        let nowX = formatDecimal(drawing?.nowX ?? ChartMaker.width * 0.75, places: 1)
        let rateTop = formatDecimal(ChartMaker.depthHeight + ChartMaker.gap + 11, places: 0)
        var html = "<svg class=\"chart\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" "
        html += "aria-label=\"depth, arrival and consume rates of \(HTML.escape(mailbox.name)), and the forecast\">"
        // The two panels: the backlog above, the rates below.
        let depthHeight = formatDecimal(ChartMaker.depthHeight, places: 0)
        let rateY = formatDecimal(ChartMaker.depthHeight + ChartMaker.gap, places: 0)
        let rateHeight = formatDecimal(ChartMaker.rateHeight, places: 0)
        html += "<rect class=\"panel\" x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(depthHeight)\"></rect>"
        html += "<rect class=\"panel\" x=\"0\" y=\"\(rateY)\" width=\"\(width)\" height=\"\(rateHeight)\"></rect>"
        html += "<line class=\"now\" x1=\"\(nowX)\" y1=\"0\" x2=\"\(nowX)\" y2=\"\(height)\"></line>"
        for (field, value) in [
            ("capacity", drawing?.capacity), ("depth", drawing?.depth), ("forecast", drawing?.forecast),
            ("arrival", drawing?.arrival), ("consume", drawing?.consume),
        ] {
            html += "<path class=\"\(field)\" data-path=\"\(field)\" d=\"\(HTML.escape(value ?? ""))\"></path>"
        }
        let depthScale = drawing.map { formatDecimal($0.depthScale, places: 0) } ?? "—"
        let rateScale = drawing.map { DashboardFormat.rate($0.rateScale) } ?? "—"
        html += "<text class=\"scale\" x=\"4\" y=\"12\" data-scale=\"depth\">depth ≤ \(depthScale)</text>"
        html += "<text class=\"scale\" x=\"4\" y=\"\(rateTop)\" data-scale=\"rate\">R, C ≤ \(rateScale)/s</text>"
        html += "<text class=\"scale now-label\" x=\"\(nowX)\" y=\"12\">now</text>"
        if window > 0 {
            html +=
                "<text class=\"scale\" x=\"4\" y=\"\(height)\" dy=\"-3\">\(DashboardFormat.duration(window)) ago</text>"
            html += "<text class=\"scale\" x=\"\(width)\" dx=\"-4\" y=\"\(height)\" dy=\"-3\" text-anchor=\"end\">"
            html += "forecast +\(DashboardFormat.duration(window / 3))</text>"
        }
        html +=
            "</svg>\n<p class=\"legend\"><span class=\"key depth\">depth</span> <span class=\"key forecast\">forecast</span> "
        html +=
            "<span class=\"key arrival\">R (arrivals/s)</span> <span class=\"key consume\">C (consumed/s)</span></p>\n"
        return html
    }

    /// The recovery report (or, read from files, what they hold) as a line, and its warnings.
    static func recovery(_ report: RecoverySnapshot, label: String) -> String {
        func counted(_ count: Int, _ noun: String) -> String {
            DashboardFormat.count(count) + " " + noun + (count == 1 ? "" : "s")
        }
        var parts = [
            counted(report.records, "record") + " in " + counted(report.segments, "segment"),
            "\(DashboardFormat.count(report.pending)) pending", counted(report.deadLetters, "dead letter"),
        ]
        if report.interrupted > 0 { parts.append("\(report.interrupted) deliveries cut off by a crash") }
        if report.truncatedBytes > 0 { parts.append("\(report.truncatedBytes) torn bytes cut") }
        if report.quarantinedRanges > 0 { parts.append("\(report.quarantinedRanges) corrupt ranges quarantined") }
        if report.undecodable > 0 { parts.append("\(report.undecodable) undecodable") }
        var html = "<p class=\"recovery\(report.foundProblems ? " problems" : "")\">\(label): "
        html += HTML.escape(parts.joined(separator: ", ")) + "</p>\n"
        for warning in report.warnings { html += "<p class=\"warning\">\(HTML.escape(warning))</p>\n" }
        return html
    }
}
