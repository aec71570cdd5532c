import NIOCore
import NIOPosix
import WSBridgeProtocol

/// A Swift app attached to wsbridge over its app socket (`docs/protocol.md`).
///
/// ```swift
/// let client = try await WSBridgeAppClient.connect(
///     socketPath: "/run/wsbridge/app.sock", name: "chat", paths: ["/ws"], group: group)
/// for await event in client.events {
///     if case .connect(let conn, _, let query, _, _, _) = event {
///         try await client.accept(conn: conn, user: userID(from: query))
///     }
/// }
/// try await client.publish(.user("alice"), .json(ByteBuffer(string: #"{"n":1}"#)))
/// await client.close()
/// ```
///
/// Requests may be made from any task, concurrently. Each gets the next integer id and awaits the
/// `ok` (or `pong`, `status`) with that id; an `error` reply throws
/// ``WSBridgeClientError/rejected(code:message:)``. A request in flight is not withdrawn when its task
/// is cancelled: once written, wsbridge handles it, and the call returns when the reply comes.
///
/// ``events`` yields what wsbridge sends unasked (`connect`, `message`, `closed`, `deliver`,
/// `shutdown`) to one consumer, and finishes when the connection ends. It buffers without bound, since wsbridge must
/// not be kept waiting (it disconnects an app whose events back up past `app_max_queue_bytes`):
/// consume it promptly. When the connection ends, requests in flight and later ones throw
/// ``WSBridgeClientError/connectionClosed(reason:)``.
///
/// Holds only `Sendable` state: the channel, what `welcome` said, and the event stream. The
/// connection's state lives in a handler confined to its event loop. Call ``close()`` when done.
public final class WSBridgeAppClient: Sendable {
    /// What wsbridge announced when the client attached.
    public let welcome: WSBridgeWelcome
    /// Events wsbridge sent unasked, in the order it sent them; finishes when the connection ends.
    public let events: AsyncStream<AppEvent>

    private let channel: any Channel
    /// Why the connection ended, once it has.
    private let ended: EventLoopFuture<WSBridgeClientError>

    /// The default largest event frame the client reads: room for a 4 MiB binary message in base64.
    /// wsbridge's events are not bound by its own `max_frame_bytes`; see `docs/protocol.md`, "Limits".
    public static let defaultMaxEventBytes = 8 << 20

    /// The default time wsbridge has to answer `hello`.
    public static let defaultHandshakeTimeout = TimeAmount.seconds(10)

    private init(
        channel: any Channel,
        ended: EventLoopFuture<WSBridgeClientError>,
        welcome: WSBridgeWelcome,
        events: AsyncStream<AppEvent>
    ) {
        self.channel = channel
        self.ended = ended
        self.welcome = welcome
        self.events = events
    }

    /// Connects to the app socket at `socketPath`, sends `hello` and awaits `welcome`.
    ///
    /// - Parameters:
    ///   - socketPath: wsbridge's app socket (`app_socket`, `--app-socket`).
    ///   - name: the app's name in wsbridge's logs, metrics and status; non-empty, at most 256 bytes.
    ///   - paths: the WebSocket paths the app serves (`["/ws"]`), each starting with `/`; empty for an
    ///     app that only publishes (it gets no `connect`).
    ///   - tool: attach as a tool, like `wsbridge status` and `publish`: not counted or listed as an
    ///     app, attaching and detaching logged at `debug`; `paths` must be empty.
    ///   - presenceEvents: also receive `online` and `offline` events (``AppEvent/presenceChanged(_:)``).
    ///   - group: the event loop group the connection runs on.
    ///   - maxEventBytes: the largest event frame accepted; a larger one ends the connection as a
    ///     protocol violation. (Requests are held to the `max_frame_bytes` `welcome` announces: a
    ///     larger one is not sent, ``WSBridgeClientError/invalidRequest(code:message:)``.)
    ///   - handshakeTimeout: how long wsbridge has to answer `hello`.
    /// - Throws: ``WSBridgeClientError/cannotConnect(socketPath:reason:)`` if the socket cannot be
    ///   opened; ``WSBridgeClientError/rejected(code:message:)`` if wsbridge answers `hello` with
    ///   `error` (such as `bad_field` for a bad path); ``WSBridgeClientError/timedOut(_:)``;
    ///   ``WSBridgeClientError/connectionClosed(reason:)``.
    public static func connect(
        socketPath: String,
        name: String,
        paths: [String],
        tool: Bool = false,
        presenceEvents: Bool = false,
        group: any EventLoopGroup,
        maxEventBytes: Int = defaultMaxEventBytes,
        handshakeTimeout: TimeAmount = defaultHandshakeTimeout
    ) async throws(WSBridgeClientError) -> WSBridgeAppClient {
        let (events, continuation) = AsyncStream.makeStream(of: AppEvent.self, bufferingPolicy: .unbounded)
        let ended = group.next().makePromise(of: WSBridgeClientError.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers(
                            ByteToMessageHandler(AppFrameDecoder(maxFrameBytes: maxEventBytes)),
                            AppClientHandler(events: continuation, ended: ended)
                        )
                    }
                }
                .connect(unixDomainSocketPath: socketPath)
                .get()
        } catch {
            let failure = WSBridgeClientError.cannotConnect(socketPath: socketPath, error: error)
            continuation.finish()
            ended.succeed(failure)
            throw failure
        }

        let timeout = channel.eventLoop.scheduleTask(in: handshakeTimeout) {
            channel.triggerUserOutboundEvent(AppClientHandshakeTimeout(limit: handshakeTimeout), promise: nil)
        }
        let reply: AppEvent
        do {
            reply = try await request(on: channel, ended: ended.futureResult) { id in
                .hello(
                    id: id, protocolVersion: AppProtocol.version, name: name, paths: paths, tool: tool,
                    presenceEvents: presenceEvents)
            }
            timeout.cancel()
        } catch {
            timeout.cancel()
            channel.close(promise: nil)
            throw error
        }
        guard case .welcome(_, let node, let version, let limits) = reply else {
            channel.close(promise: nil)
            throw unexpected(reply, expected: "welcome")
        }
        let welcome = WSBridgeWelcome(node: node, version: version, limits: limits)
        return WSBridgeAppClient(channel: channel, ended: ended.futureResult, welcome: welcome, events: events)
    }

    /// Detaches from wsbridge: closes the connection and waits until it is closed. Requests in
    /// flight throw ``WSBridgeClientError/connectionClosed(reason:)``, ``events`` finishes, and
    /// wsbridge cleans up what this app registered. Calling it again does nothing.
    public func close() async {
        channel.close(promise: nil)
        try? await channel.closeFuture.get()
    }

    // MARK: Requests

    /// Sends the request `make` builds with its id and returns the reply of `type` (`ok`, `pong`...).
    func request(
        expecting type: String,
        _ make: @escaping @Sendable (RequestID) -> AppRequest
    ) async throws(WSBridgeClientError) -> AppEvent {
        let reply = try await Self.request(on: channel, ended: ended, make)
        guard reply.type == type else {
            throw Self.unexpected(reply, expected: type)
        }
        return reply
    }

    /// Writes the request and awaits the event that answers it. An `error` reply is thrown as
    /// ``WSBridgeClientError/rejected(code:message:)``.
    private static func request(
        on channel: any Channel,
        ended: EventLoopFuture<WSBridgeClientError>,
        _ make: @escaping @Sendable (RequestID) -> AppRequest
    ) async throws(WSBridgeClientError) -> AppEvent {
        let reply = channel.eventLoop.makePromise(of: AppEvent.self)
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            // Reached when the handler refused the request (with its reason) or is gone with the
            // closed channel (the reason it recorded then). The handler may have failed `reply`
            // already: the first result stands.
            if let error = error as? WSBridgeClientError {
                reply.fail(error)
            } else {
                ended.whenSuccess { reply.fail($0) }
            }
        }
        channel.writeAndFlush(AppClientRequest(make: make, reply: reply), promise: written)
        let event: AppEvent
        do {
            event = try await reply.futureResult.get()
        } catch let error as WSBridgeClientError {
            throw error
        } catch {
            throw .connectionClosed(reason: "\(error)")
        }
        if case .error(_, let code, let message) = event {
            throw .rejected(code: code, message: message)
        }
        return event
    }

    /// The error for a reply of the wrong type, which wsbridge never sends.
    private static func unexpected(_ reply: AppEvent, expected: String) -> WSBridgeClientError {
        .protocolViolation("a \"\(reply.type)\" reply where \"\(expected)\" was due")
    }
}
