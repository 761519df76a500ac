#if PostgresSupport
    import EventLog
    import NIOCore
    import NIOPosix

    /// A TCP proxy in front of the test server, whose link the test breaks: replies dropped (a
    /// statement reaches the server, its answer never comes back), everything dropped (a
    /// blackhole: packets lost, not refused), or forwarded again.
    final class TestProxy: Sendable {
        /// What the link does with bytes.
        enum Mode: Sendable {
            case forward
            /// Client to server passes; server to client is dropped.
            case dropReplies
            /// Nothing passes either way.
            case blackhole
        }

        /// Which way bytes go.
        enum Direction: Sendable {
            case request
            case reply
        }

        private let mode = Locked(Mode.forward)
        private let channels = Locked<[any Channel]>([])
        private let server: any Channel
        /// The address clients connect to.
        let port: Int

        /// Listens on 127.0.0.1 (a free port) and forwards each connection to `host:targetPort`.
        init(to host: String, port targetPort: Int) async throws {
            let mode = self.mode
            let channels = self.channels
            let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                // The accepted connection is registered (and reads) only once its initializer's
                // future completes: after the connection to the server is made and joined to it.
                .childChannelInitializer { child in
                    channels.withLock { $0.append(child) }
                    return ClientBootstrap(group: child.eventLoop)
                        .channelInitializer { outbound in
                            channels.withLock { $0.append(outbound) }
                            return outbound.eventLoop.makeCompletedFuture {
                                try outbound.pipeline.syncOperations.addHandler(
                                    Forward(to: child, direction: .reply, mode: mode)
                                )
                            }
                        }
                        .connect(host: host, port: targetPort)
                        .flatMap { outbound in
                            child.eventLoop.makeCompletedFuture {
                                try child.pipeline.syncOperations.addHandler(
                                    Forward(to: outbound, direction: .request, mode: mode)
                                )
                            }
                        }
                }
                .bind(host: "127.0.0.1", port: 0)
                .get()
            self.server = server
            self.port = server.localAddress?.port ?? 0
        }

        /// From now on, the link does `mode`.
        func set(_ mode: Mode) {
            self.mode.withLock { $0 = mode }
        }

        /// Stops listening and closes every connection.
        func close() async {
            try? await server.close()
            for channel in channels.withLock({ $0 }) { try? await channel.close() }
        }

        /// Forwards what one side reads to the other, as the mode allows.
        private final class Forward: ChannelInboundHandler {
            typealias InboundIn = ByteBuffer

            let peer: any Channel
            let direction: Direction
            let mode: Locked<Mode>

            init(to peer: any Channel, direction: Direction, mode: Locked<Mode>) {
                self.peer = peer
                self.direction = direction
                self.mode = mode
            }

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                let passes =
                    switch mode.withLock({ $0 }) {
                    case .forward: true
                    case .dropReplies: direction == .request
                    case .blackhole: false
                    }
                guard passes else { return }
                peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
            }

            func channelInactive(context: ChannelHandlerContext) {
                // Closed on one side, closed on the other: unless the link is down that way, where
                // a close does not get through either.
                let passes =
                    switch mode.withLock({ $0 }) {
                    case .forward: true
                    case .dropReplies: direction == .request
                    case .blackhole: false
                    }
                if passes { peer.close(promise: nil) }
                context.fireChannelInactive()
            }
        }
    }
#endif
