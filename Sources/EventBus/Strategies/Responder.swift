/// A registered responder with its types erased, so that a request runs no generic code over
/// the request and response types besides boxing the one and casting the other back.
final class Responder: Sendable {
    /// Tells this registration from a later one for the same type.
    let id: UInt64
    /// `R.eventName`, computed once.
    let requestName: String
    /// `R.self`, for the middleware that applies to it.
    let requestType: any Event.Type
    /// Answers a request of the registered type with its response, both boxed.
    let respond: @Sendable (any Sendable) async throws -> any Sendable

    init(
        id: UInt64,
        requestName: String,
        requestType: any Event.Type,
        respond: @escaping @Sendable (any Sendable) async throws -> any Sendable
    ) {
        self.id = id
        self.requestName = requestName
        self.requestType = requestType
        self.respond = respond
    }
}
