#if PostgresSupport
    import Dispatch
    import EventLog

    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Darwin)
        import Darwin
    #endif

    /// A TCP connect to the server's address, to name why the client's pool gave the store no
    /// connection in time (the pool keeps its connect errors to itself): refused, timed out (packets
    /// dropped), unreachable, or connected (the server is up; the pool is busy or backing off).
    /// Runs on a Dispatch thread (it blocks in `poll` for at most its timeout), never on the
    /// concurrency pool.
    enum NetworkProbe {
        /// What a connect to the address did.
        enum Outcome: Sendable, Equatable {
            case connected
            case refused
            case timedOut
            case unreachable(String)
            case failed(String)
        }

        /// "host:port", "[v6]:port" or "host" (port 5432), as ``PostgresStoreOptions/server`` takes it.
        static func split(_ address: String) -> (host: String, port: Int)? {
            if address.hasPrefix("[") {
                guard let close = address.firstIndex(of: "]") else { return nil }
                let host = String(address[address.index(after: address.startIndex)..<close])
                let rest = address[address.index(after: close)...]
                if rest.isEmpty { return (host, 5432) }
                guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()) else { return nil }
                return (host, port)
            }
            let parts = address.split(separator: ":", omittingEmptySubsequences: false)
            switch parts.count {
            case 1: return parts[0].isEmpty ? nil : (String(parts[0]), 5432)
            case 2:
                guard !parts[0].isEmpty, let port = Int(parts[1]), (1...65_535).contains(port) else { return nil }
                return (String(parts[0]), port)
            default:
                // A bare IPv6 address.
                return (address, 5432)
            }
        }

        /// Connects to `address` within `timeout`, then closes the socket.
        static func probe(_ address: String, timeout: Duration) async -> Outcome {
            guard let (host, port) = split(address) else { return .failed("the address \(address) does not parse") }
            let (seconds, attoseconds) = timeout.components
            let milliseconds = Int32(clamping: max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
            return await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(returning: attempt(host: host, port: port, milliseconds: milliseconds))
                }
            }
        }

        /// A blocking, bounded connect to the first address `host` resolves to.
        private static func attempt(host: String, port: Int, milliseconds: Int32) -> Outcome {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            #if canImport(Glibc)
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            #else
                hints.ai_socktype = SOCK_STREAM
            #endif
            var list: UnsafeMutablePointer<addrinfo>?
            let resolved = getaddrinfo(host, String(port), &hints, &list)
            guard resolved == 0, let first = list else {
                return .unreachable("the name \(host) does not resolve (\(String(cString: gai_strerror(resolved))))")
            }
            defer { freeaddrinfo(list) }
            let descriptor = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
            guard descriptor >= 0 else { return .failed("socket: \(describe(errno))") }
            defer { close(descriptor) }
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            #if canImport(Glibc)
                let started = Glibc.connect(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen)
            #else
                let started = Darwin.connect(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen)
            #endif
            if started == 0 { return .connected }
            guard errno == EINPROGRESS else { return classify(errno) }
            var descriptors = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&descriptors, 1, milliseconds)
            guard ready > 0 else { return ready == 0 ? .timedOut : .failed("poll: \(describe(errno))") }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length) == 0 else {
                return .failed("getsockopt: \(describe(errno))")
            }
            return failure == 0 ? .connected : classify(failure)
        }

        private static func classify(_ code: Int32) -> Outcome {
            switch code {
            case ECONNREFUSED: .refused
            case ETIMEDOUT: .timedOut
            case ENETUNREACH, EHOSTUNREACH, ENETDOWN, EHOSTDOWN: .unreachable(describe(code))
            default: .failed(describe(code))
            }
        }

        private static func describe(_ code: Int32) -> String {
            guard let text = strerror(code) else { return "errno \(code)" }
            return String(cString: text)
        }
    }
#endif
