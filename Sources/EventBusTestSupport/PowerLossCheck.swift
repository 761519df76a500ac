import EventLog
import EventQueue

/// One seeded power-loss experiment on a ``FileLog`` over a ``SimulatedFileSystem``: publish and
/// acknowledge until the power goes out at a seeded moment, lose what the seed says of the
/// unsynced writes and directory entries, reopen, and compare.
package enum PowerLossCheck {
    /// What one crash point showed.
    package struct Outcome: Sendable, Equatable {
        /// Publishes that returned (acknowledged to the publisher) and were not yet handled.
        package var acknowledged = 0
        /// Of those, how many were not delivered after the restart.
        package var lost = 0
        /// Records delivered after the restart that were never published (corruption).
        package var corrupt = 0
        /// Records recovered.
        package var recovered = 0
        /// Why the mailbox could not be reopened, if it could not.
        package var failure: String?
    }

    /// An Int with its own checksum: a record that decodes is a record that was written.
    struct CheckedCodec: RecordCodec {
        struct Mismatch: Error {}

        func encode(_ element: Int) throws -> [UInt8] {
            var bytes: [UInt8] = []
            bytes.appendLittleEndian(UInt64(element))
            bytes.appendLittleEndian(UInt64(element) &* 0x9E37_79B9_7F4A_7C15 ^ 0xABCD)
            return bytes + [UInt8](repeating: UInt8(truncatingIfNeeded: element), count: element % 300)
        }

        func decode(_ bytes: [UInt8]) throws -> Int {
            var reader = ByteReader(bytes[...])
            guard let value = reader.uint64(), let check = reader.uint64(),
                check == value &* 0x9E37_79B9_7F4A_7C15 ^ 0xABCD,
                Int(value) >= 0, Int(value) < 1_000_000, reader.rest.count == Int(value) % 300,
                reader.rest.allSatisfy({ $0 == UInt8(truncatingIfNeeded: value) })
            else { throw Mismatch() }
            return Int(value)
        }
    }

    package static func run(seed: UInt64) async -> Outcome {
        var random = SplitMix64(seed: seed)
        let fileSystem = SimulatedFileSystem()
        let options = DurableMailboxOptions(maxRecordSize: 4_096, segmentSize: 4_096)
        let configuration = QueueConfiguration(
            capacity: .unbounded,
            acknowledgement: .explicit(visibilityTimeout: nil),
            retry: .immediate(maxAttempts: 1_000)
        )
        fileSystem.failAfter(operations: Int(random.next() % 400) + 3)
        var acknowledged: Set<Int> = []
        var handled: Set<Int> = []
        if let log = try? FileLog<Int>(
            directory: "/sim",
            name: "mailbox",
            sync: .always,
            codec: CheckedCodec(),
            options: options,
            fileSystem: fileSystem
        ),
            let queue = try? await WorkQueue.open(name: "sim", configuration: configuration, storage: log)
        {
            for value in 0..<200 {
                do {
                    try await queue.enqueue(value, id: EventID(high: seed, low: UInt64(value)))
                    acknowledged.insert(value)
                } catch {
                    break
                }
                if random.next() % 3 == 0, queue.metrics().depth > 0,
                    let lease = try? await queue.next(maxCount: 1)?.first
                {
                    // Handled once its consumer asks for the ack, whatever the ack's own outcome:
                    // an ack whose write reached the disk before the failure may survive it.
                    handled.insert(lease.element)
                    _ = try? await queue.ack(lease)
                }
            }
            queue.terminate()
        }
        fileSystem.powerLoss(seed: random.next())
        var outcome = Outcome()
        let expected = acknowledged.subtracting(handled)
        outcome.acknowledged = expected.count
        let log: FileLog<Int>
        let recovered: RecoveredState<Int>
        do {
            log = try FileLog<Int>(
                directory: "/sim",
                name: "mailbox",
                sync: .always,
                codec: CheckedCodec(),
                options: options,
                fileSystem: fileSystem
            )
            recovered = try log.recover()
        } catch {
            outcome.lost = expected.count
            outcome.failure = String(describing: error)
            return outcome
        }
        let values = recovered.pending.map(\.element) + recovered.deadLetters.map(\.event.element)
        outcome.recovered = values.count
        outcome.lost = expected.subtracting(values).count
        outcome.corrupt = values.filter { !(0..<200).contains($0) }.count
        log.close()
        return outcome
    }
}
