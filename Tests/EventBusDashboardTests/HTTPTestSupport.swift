#if DashboardSupport
    import HTTPTypes
    import Hummingbird
    import HummingbirdTesting
    import Testing

    /// Requests to a dashboard over live HTTP, as a browser makes them.
    extension TestClientProtocol {
        /// GET `uri` with these header fields.
        func get(_ uri: String, _ headers: HTTPFields = [:]) async throws -> TestResponse {
            try await execute(uri: uri, method: .get, headers: headers)
        }

        /// POST a form to `uri`, from the page's origin (`http://localhost`) unless another is given.
        func post(
            _ uri: String,
            form: String,
            origin: String = "http://localhost",
            _ headers: HTTPFields = [:]
        ) async throws -> TestResponse {
            var fields = headers
            fields[.contentType] = "application/x-www-form-urlencoded"
            fields[.accept] = "application/json"
            fields[.origin] = origin
            return try await execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(string: form))
        }
    }

    extension TestResponse {
        /// The body as text.
        var text: String { String(buffer: body) }

        /// The page's CSRF token (empty when the requester may not act).
        func csrf() throws -> String { try GuardTests.csrf(in: text) }
    }
#endif
