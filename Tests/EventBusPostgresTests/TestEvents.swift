#if PostgresSupport
    import EventBus
    import Foundation
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    /// What handlers saw, for assertions.
    actor Recorder {
        private(set) var ids: [Int] = []
        private(set) var calls = 0

        func record(_ id: Int) {
            ids.append(id)
            calls += 1
        }

        func called() { calls += 1 }

        var count: Int { ids.count }
    }

    /// The test event.
    struct OrderPlaced: Event, Codable {
        let id: Int
    }

    /// Another event type.
    struct ParcelShipped: Event, Codable {
        let id: Int
    }

    /// An event whose name would break a statement that spliced it in.
    struct Hostile: Event, Codable {
        static let eventName = "x'); DROP TABLE groups; -- \"quoted\" $1"
        let id: Int
    }
#endif
