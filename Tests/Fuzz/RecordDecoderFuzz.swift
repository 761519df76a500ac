// libFuzzer target: the log record decoder. Built by .ci/fuzz together with the format sources.
// Invariants: never crash, and every payload that decodes re-encodes to itself.

/// libFuzzer's entry point for the record decoder target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecordDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let record = LogRecord.decode(bytes[...]) {
        let payload = record.encodePayload()
        guard LogRecord.decode(payload[...]) == record else { fatalError("decode(encode(x)) != x") }
        let framed = record.encode()
        guard let (again, end) = LogFormat.record(in: framed, at: 0, maxRecordSize: 1 << 20), again == record,
            end == framed.count
        else { fatalError("a framed record does not read back") }
    }
    return 0
}
