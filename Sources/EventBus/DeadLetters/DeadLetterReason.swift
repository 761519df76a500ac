/// Why a stored event is a dead letter.
///
/// Stores keep the reason as text (a log record, a database column); the cases other than
/// ``handlerFailed(_:)`` are written in a bracketed form that reads well on its own
/// (`[unknown version] stored 3, this build reads up to 2`) and are read back into their case.
public enum DeadLetterReason: Sendable, Hashable, CustomStringConvertible {
    /// Its handler failed: retries exhausted, the last nack, a visibility timeout, or deliveries
    /// cut off by crashes `maxCrashes` times. The last failure, as text.
    case handlerFailed(String)
    /// Its record does not decode: another event type, another codec, a damaged or changed body.
    case undecodable(String)
    /// It was stored with a newer schema version than this build's type knows (a rolling deploy,
    /// or a rollback): requeue it from a build that knows `stored`.
    case unknownVersion(stored: Int, known: Int)
    /// Its encrypted body does not open: the key `keyID` is not in the key ring (rotated out, or
    /// deleted on purpose), or the body, its tag, its key id or the record's metadata was
    /// changed. Requeue it once the key is back; a deleted key's records stay unreadable.
    case undecryptable(keyID: String?, String)

    /// A sentence for people.
    public var description: String {
        switch self {
        case .handlerFailed(let text): text
        case .undecodable(let text): "undecodable: \(text)"
        case .unknownVersion(let stored, let known):
            "unknown version: stored with schema version \(stored), this build reads up to \(known)"
        case .undecryptable(let keyID, let text):
            "undecryptable" + (keyID.map { " (key \"\($0)\")" } ?? "") + ": \(text)"
        }
    }

    /// The form a store keeps: a handler's failure as it is; the others bracketed, so that they
    /// read back into their case (``init(storedText:)``).
    package var storedText: String {
        switch self {
        case .handlerFailed(let text): text
        case .undecodable(let text): "[undecodable] \(text)"
        case .unknownVersion(let stored, let known):
            "[unknown version] stored \(stored), this build reads up to \(known)"
        case .undecryptable(let keyID, let text):
            "[undecryptable] " + (keyID.map { "key \($0.count):\($0) " } ?? "") + text
        }
    }

    /// Reads a stored reason back. Reasons written before this form existed — a log's
    /// "undecodable record: …", a consumer group's "undecodable: …" and "unknown event type …" —
    /// read as ``undecodable(_:)``; any other text is a handler's failure.
    package init(storedText text: String) {
        if let rest = text.dropPrefix("[undecodable] ") {
            self = .undecodable(String(rest))
        } else if let rest = text.dropPrefix("[unknown version] stored "),
            let comma = rest.firstIndex(of: ","),
            let stored = Int(rest[..<comma]),
            let known = rest[comma...].dropPrefix(", this build reads up to ").flatMap({ Int($0) })
        {
            self = .unknownVersion(stored: stored, known: known)
        } else if let rest = text.dropPrefix("[undecryptable] ") {
            // "key <length>:<id> <text>": the length makes any key id read back exactly.
            if let keyed = rest.dropPrefix("key "), let colon = keyed.firstIndex(of: ":"),
                let length = Int(keyed[..<colon]), length >= 0,
                keyed.distance(from: keyed.index(after: colon), to: keyed.endIndex) > length
            {
                let start = keyed.index(after: colon)
                let end = keyed.index(start, offsetBy: length)
                self = .undecryptable(keyID: String(keyed[start..<end]), String(keyed[end...].dropFirst()))
            } else {
                self = .undecryptable(keyID: nil, String(rest))
            }
        } else if let rest = text.dropPrefix("undecodable record: ") ?? text.dropPrefix("undecodable: ") {
            self = .undecodable(String(rest))
        } else if text.hasPrefix("unknown event type ") {
            self = .undecodable(text)
        } else {
            self = .handlerFailed(text)
        }
    }

    /// The reason for a record that `error`, thrown while decoding it, kept from being read.
    package init(decodingError error: any Error) {
        switch error as? CodecError {
        case .unknownVersion(_, let stored, let known)?: self = .unknownVersion(stored: stored, known: known)
        case .undecryptable(let keyID, let reason)?: self = .undecryptable(keyID: keyID, reason)
        case let codec?: self = .undecodable(codec.description)
        case nil: self = .undecodable(String(describing: error))
        }
    }
}

extension StringProtocol {
    /// The rest after `prefix`, or nil when it does not start with it.
    fileprivate func dropPrefix(_ prefix: String) -> SubSequence? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }
}
