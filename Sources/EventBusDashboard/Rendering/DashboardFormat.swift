import EventQueue
import Foundation

/// How the page writes numbers: durations a person reads at a glance ("40 s", "3 min"), rates,
/// latencies and times.
public enum DashboardFormat: Sendable {
    /// "under 1 s", "40 s", "3 min", "2 h", "3 d" (rounded to the unit).
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "never" }
        if seconds < 0.5 { return "under 1 s" }
        if seconds < 59.5 { return "\(Int(seconds.rounded())) s" }
        if seconds < 59.5 * 60 { return "\(Int((seconds / 60).rounded())) min" }
        if seconds < 23.5 * 3_600 { return "\(Int((seconds / 3_600).rounded())) h" }
        return "\(Int((seconds / 86_400).rounded())) d"
    }

    /// A count with thousands separated: "10,000".
    public static func count<Number: BinaryInteger>(_ value: Number) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    /// Events a second: one decimal below 10 ("2.5"), whole above ("300").
    public static func rate(_ value: Double) -> String {
        formatDecimal(value, places: abs(value) < 9.95 ? 1 : 0)
    }

    /// A latency in seconds: "0.4 ms", "12 ms", "1.3 s"; "—" for none.
    public static func latency(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds > 0 else { return "—" }
        let milliseconds = seconds * 1_000
        if milliseconds < 9.95 { return formatDecimal(milliseconds, places: 1) + " ms" }
        if milliseconds < 999.5 { return formatDecimal(milliseconds, places: 0) + " ms" }
        return formatDecimal(seconds, places: 1) + " s"
    }

    /// `date` in ISO 8601, UTC, to the second: `2026-12-06T07:01:02Z`.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// A stored body as the page shows it: the text when it is printable UTF-8, hex otherwise;
    /// at most `limit` characters, then `…`.
    public static func body(_ bytes: [UInt8], limit: Int = 2_000) -> String {
        if let text = String(validating: bytes, as: UTF8.self),
            text.unicodeScalars.allSatisfy({ $0.value >= 0x20 || $0 == "\n" || $0 == "\t" })
        {
            return text.count > limit ? String(text.prefix(limit)) + "…" : text
        }
        let digits = Array("0123456789abcdef")
        var hex = ""
        for byte in bytes.prefix(limit / 2) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return bytes.count > limit / 2 ? hex + "…" : hex
    }
}
