// libFuzzer target: recovery's scan over a whole segment file. Built by .ci/fuzz.
// Invariants: never crash, never read past the end, every record found is valid where it was
// found, the ranges reported (records, corrupt ranges, torn tail) are ordered and disjoint, and
// what is reported as reserved space is zeros.

/// libFuzzer's entry point for the segment scan target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSegmentRecovery(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Half the inputs get a valid header, so that the fuzzer reaches the records quickly.
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if size > 0 && data[0] & 1 == 0 { bytes = LogFormat.header + bytes.dropFirst() }
    let scan = LogFormat.scan(bytes, maxRecordSize: 4_096)
    guard scan.validEnd <= bytes.count, scan.size == bytes.count else { fatalError("scan past the end") }
    var cursor = LogFormat.headerSize
    for (offset, record) in scan.records {
        guard offset >= cursor, let (again, end) = LogFormat.record(in: bytes, at: offset, maxRecordSize: 4_096),
            again == record
        else { fatalError("a reported record is not valid where it was reported") }
        guard record.encode() == Array(bytes[offset..<end]) else { fatalError("decode(encode(x)) != x") }
        cursor = end
    }
    guard scan.tornBytes >= 0, scan.reservedBytes >= 0,
        bytes[(bytes.count - scan.reservedBytes)...].allSatisfy({ $0 == 0 })
    else { fatalError("reserved space that is not zeros, or a negative torn tail") }
    for range in scan.corrupt where range.lowerBound < LogFormat.headerSize || range.upperBound > bytes.count {
        fatalError("a corrupt range outside the segment: \(range)")
    }
    return 0
}
