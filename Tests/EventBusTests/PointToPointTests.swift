import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Foundation
import Testing

struct ResizeImage: Event, Codable {
    let number: Int
    var album: String = ""
}

@Suite struct PointToPointTests {
    /// Starts `count` consumers of the queue that record what they handled.
    private func consumers(_ bus: Bus, count: Int, queue: String = "thumbnails") async throws -> [Collector<Int>] {
        var all: [Collector<Int>] = []
        for _ in 0..<count {
            let handled = Collector<Int>()
            try await bus.consume(ResizeImage.self, from: queue) { handled.append($0.number) }
            all.append(handled)
        }
        return all
    }

    @Test func eachEventGoesToExactlyOneConsumer() async throws {
        let bus = Bus()
        let handled = try await consumers(bus, count: 4)
        for number in 0..<1_000 { try await bus.send(ResizeImage(number: number), to: "thumbnails") }
        await bus.waitUntilIdle()
        let all = handled.flatMap(\.values)
        #expect(all.count == 1_000)
        #expect(Set(all) == Set(0..<1_000))
    }

    @Test func roundRobinSharesTheWorkEvenly() async throws {
        let bus = Bus()
        let handled = try await consumers(bus, count: 4)
        for number in 0..<400 { try await bus.send(ResizeImage(number: number), to: "thumbnails") }
        await bus.waitUntilIdle()
        #expect(handled.map(\.count) == [100, 100, 100, 100])
        #expect(handled[0].values == Array(stride(from: 0, to: 400, by: 4)))
    }

    @Test func leastLoadedPicksTheConsumerWithTheLeastWork() async throws {
        let bus = Bus()
        try bus.declareQueue("work", for: ResizeImage.self, dispatch: .leastLoaded)
        let busy = try await bus.receive(ResizeImage.self, from: "work")
        for number in 0..<5 { try await bus.send(ResizeImage(number: number), to: "work") }
        let fresh = try await bus.receive(ResizeImage.self, from: "work")
        for number in 5..<10 { try await bus.send(ResizeImage(number: number), to: "work") }
        #expect(busy.metrics().depth == 5)
        #expect(fresh.metrics().depth == 5)
        // Now they are level: the next two go one to each.
        try await bus.send(ResizeImage(number: 10), to: "work")
        try await bus.send(ResizeImage(number: 11), to: "work")
        #expect(busy.metrics().depth == 6)
        #expect(fresh.metrics().depth == 6)
    }

    @Test func anOrderingKeyKeepsEventsOnOneConsumerInOrder() async throws {
        let bus = Bus()
        var handled: [Collector<ResizeImage>] = []
        for _ in 0..<3 {
            let seen = Collector<ResizeImage>()
            try await bus.consume(ResizeImage.self, from: "albums") { seen.append($0) }
            handled.append(seen)
        }
        for number in 0..<300 {
            let album = "album-\(number % 7)"
            try await bus.send(ResizeImage(number: number, album: album), to: "albums", orderingKey: album)
        }
        await bus.waitUntilIdle()
        for consumer in handled {
            let byAlbum = Dictionary(grouping: consumer.values, by: \.album)
            for (_, images) in byAlbum { #expect(images.map(\.number) == images.map(\.number).sorted()) }
        }
        let owners = (0..<7).map { album in handled.filter { $0.values.contains { $0.album == "album-\(album)" } }.count
        }
        #expect(owners.allSatisfy { $0 == 1 })
    }

    @Test func eventsSentBeforeAnyConsumerWaitAndArriveInOrder() async throws {
        let bus = Bus()
        for number in 0..<10 { try await bus.send(ResizeImage(number: number), to: "later") }
        let handled = Collector<Int>()
        try await bus.consume(ResizeImage.self, from: "later") { handled.append($0.number) }
        await bus.waitUntilIdle()
        #expect(handled.values == Array(0..<10))
    }

    @Test func aLeavingConsumerHandsItsEventsToTheOthers() async throws {
        let bus = Bus()
        let leaving = try await bus.receive(ResizeImage.self, from: "jobs")
        let staying = Collector<Int>()
        for number in 0..<6 { try await bus.send(ResizeImage(number: number), to: "jobs") }
        #expect(leaving.metrics().depth == 6)
        try await bus.consume(ResizeImage.self, from: "jobs") { staying.append($0.number) }
        leaving.cancel()
        await bus.waitUntilIdle()
        #expect(staying.values.sorted() == Array(0..<6))
    }

    @Test func aQueueCarriesOneEventType() async throws {
        let bus = Bus()
        try await bus.send(ResizeImage(number: 1), to: "typed")
        await #expect {
            try await bus.send(OrderPlaced(id: 1), to: "typed")
        } throws: { error in
            guard case BusError.queueTypeMismatch(let queue, _, _) = error else { return false }
            return queue == "typed"
        }
    }

    @Test(arguments: ["", "../etc", "a/b", "with space", String(repeating: "x", count: 129), "a..b"])
    func invalidQueueNamesAreRefused(name: String) async throws {
        let bus = Bus()
        await #expect(throws: BusError.self) { try await bus.send(ResizeImage(number: 1), to: name) }
    }

    @Test(arguments: ["thumbnails", "a.b-c_d", "Q1", String(repeating: "x", count: 128)])
    func validQueueNamesAreAccepted(name: String) throws {
        try BusError.validate(name: name)
    }

    @Test func sendWaitsWhileTheConsumersQueueIsFull() async throws {
        let bus = Bus()
        let deliveries = try await bus.receive(
            ResizeImage.self,
            from: "full",
            mailbox: .memory(.bounded(1, overflow: .suspendPublisher))
        )
        try await bus.send(ResizeImage(number: 1), to: "full")
        let sent = Collector<Int>()
        let second = Task {
            try await bus.send(ResizeImage(number: 2), to: "full")
            sent.append(2)
        }
        // The consumer's queue holds event 1 and nobody has taken it: the second send waits.
        #expect(sent.values.isEmpty)
        var iterator = deliveries.makeAsyncIterator()
        #expect(try await iterator.next()?.event.number == 1)
        try await second.value
        #expect(sent.values == [2])
        #expect(try await iterator.next()?.event.number == 2)
    }

    @Test func aFullBacklogThatFailsRefusesWithItsCapacity() async throws {
        let bus = Bus()
        try bus.declareQueue("small", for: ResizeImage.self, capacity: .bounded(2, overflow: .fail))
        try await bus.send(ResizeImage(number: 1), to: "small")
        try await bus.send(ResizeImage(number: 2), to: "small")
        await #expect {
            try await bus.send(ResizeImage(number: 3), to: "small")
        } throws: { error in
            guard case BusError.rejected(let name, let queues, let report) = error else { return false }
            return name == ResizeImage.eventName && queues == ["small"] && report.rejectedBy == ["small"]
        }
        // Nothing accepted was lost: a consumer gets both, in order.
        let handled = try await consumers(bus, count: 1, queue: "small")
        await bus.waitUntilIdle()
        #expect(handled[0].values == [1, 2])
    }

    @Test func sendAfterShutdownIsRefused() async throws {
        let bus = Bus()
        try await bus.send(ResizeImage(number: 1), to: "late")
        await bus.shutdown()
        await #expect {
            try await bus.send(ResizeImage(number: 2), to: "late")
        } throws: { error in
            guard case BusError.shutDown = error else { return false }
            return true
        }
    }

    @Test func aQueueNameUsedForAnotherTypeIsRefusedOnEverySend() async throws {
        let bus = Bus()
        try await bus.send(ResizeImage(number: 1), to: "typed")
        for _ in 0..<2 {
            await #expect {
                try await bus.send(OrderPlaced(id: 1), to: "typed")
            } throws: { error in
                guard case BusError.queueTypeMismatch(let queue, _, _) = error else { return false }
                return queue == "typed"
            }
        }
        try await bus.send(ResizeImage(number: 2), to: "typed")
    }

    @Test func aThrowingConsumerRetriesThenDeadLetters() async throws {
        let bus = Bus()
        let attempts = Collector<Int>()
        let consumer = try await bus.consume(ResizeImage.self, from: "fragile", retry: .immediate(maxAttempts: 2)) {
            image in
            attempts.append(image.number)
            throw Boom(code: image.number)
        }
        try await bus.send(ResizeImage(number: 8), to: "fragile")
        await bus.waitUntilIdle()
        #expect(attempts.values == [8, 8])
        #expect(try await consumer.deadLetters().map(\.element.event.number) == [8])
    }
}

/// Durable point-to-point queues: competing consumers over one durable log.
@Suite struct DurablePointToPointTests {
    @Test func competingConsumersShareOneDurableQueueAndWhatIsUnacknowledgedComesBack() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let hello = Mailbox.durable(name: "hello", directory: directory, sync: .always)
        do {
            let bus = Bus()
            // Declared at start-up, before anything is sent.
            let first = try await bus.receive(
                ResizeImage.self,
                from: "hello",
                mailbox: hello,
                acknowledgement: .manual(visibilityTimeout: nil)
            )
            let second = try await bus.receive(
                ResizeImage.self,
                from: "hello",
                mailbox: hello,
                acknowledgement: .manual(visibilityTimeout: nil)
            )
            for number in 1...6 { try await bus.send(ResizeImage(number: number), to: "hello") }
            var one = first.makeAsyncIterator()
            var two = second.makeAsyncIterator()
            var handled: [Int] = []
            // Each event goes to one consumer; 5 and 6 are taken and never acknowledged.
            for _ in 1...3 {
                let a = try #require(try await one.next())
                let b = try #require(try await two.next())
                handled += [a.event.number, b.event.number]
                if a.event.number < 5 { try await a.ack() }
                if b.event.number < 5 { try await b.ack() }
            }
            #expect(handled.sorted() == [1, 2, 3, 4, 5, 6])
            bus.simulateCrash()
        }
        let bus = Bus()
        let handled = Collector<Int>()
        try await bus.consume(ResizeImage.self, from: "hello", mailbox: hello) { handled.append($0.number) }
        await bus.waitUntilIdle()
        #expect(handled.values.sorted() == [5, 6])
        await bus.shutdown(draining: .zero)
    }

    @Test func aSendToADurableQueueIsStoredBeforeItReturnsEvenWithNoConsumer() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let hello = Mailbox.durable(name: "hello", directory: directory, sync: .always)
        do {
            let bus = Bus()
            let consumer = try await bus.receive(ResizeImage.self, from: "hello", mailbox: hello)
            consumer.cancel()  // the consumer leaves; the queue stays durable
            for number in 1...3 { try await bus.send(ResizeImage(number: number), to: "hello") }
            await bus.shutdown(draining: .zero)
        }
        let bus = Bus()
        var iterator = try await bus.receive(ResizeImage.self, from: "hello", mailbox: hello).makeAsyncIterator()
        var numbers: [Int] = []
        for _ in 1...3 { numbers.append(try #require(try await iterator.next()).event.number) }
        #expect(numbers == [1, 2, 3])
        await bus.shutdown(draining: .zero)
    }

    @Test func aSendThatCannotBeStoredThrowsNotStored() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = FailingFileSystem()
        var configuration = BusConfiguration()
        configuration.fileSystem = files
        let bus = Bus(configuration: configuration)
        _ = try await bus.receive(
            ResizeImage.self,
            from: "hello",
            mailbox: .durable(name: "hello", directory: directory, sync: .always)
        )
        files.fail(.write) { .diskFull(path: $0) }
        let report = await storeReport { try await bus.send(ResizeImage(number: 1), to: "hello") }
        #expect(report?.failures.map(\.mailbox) == ["hello"])
        guard case .diskFull? = report?.failures.first?.cause else {
            Issue.record("not a full disk: \(String(describing: report))")
            return
        }
        try await bus.send(ResizeImage(number: 2), to: "hello")
        await bus.shutdown(draining: .zero)
    }
}
