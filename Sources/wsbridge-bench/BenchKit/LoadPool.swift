#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import NIOCore
import NIOPosix
import NIOSSL

/// The load connections of this process: `spec.count` WebSocket connections spread over the event
/// loops (connection `i` on loop `i % loops`) and over the source addresses.
public final class LoadPool: Sendable {
    public let spec: LoadSpec
    private let group: MultiThreadedEventLoopGroup
    private let loops: [EventLoop]
    private let states: [NIOLoopBound<LoopState>]

    public init(spec: LoadSpec) async throws {
        self.spec = spec
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(spec.threads, 1))
        self.group = group
        let loops = Array(group.makeIterator())
        self.loops = loops
        var states: [NIOLoopBound<LoopState>] = []
        for loop in loops {
            let record = spec.recordLatency
            states.append(try await loop.submit { NIOLoopBound(LoopState(recordLatency: record), eventLoop: loop) }.get())
        }
        self.states = states
    }

    /// The pool's event loops, for other channels (the publisher) to share.
    public var eventLoops: [EventLoop] { loops }

    /// Opens every connection (at most `spec.connectConcurrency` handshakes in flight) and returns the
    /// totals once each has either completed its handshake or failed.
    public func connectAll() async throws -> ClientSnapshot {
        let minter: JWTMinter?
        if spec.auth == .jwt, let secret = spec.jwtSecret {
            minter = JWTMinter(secret: secret, now: Int(time(nil)))
        } else {
            minter = nil
        }
        let spec = self.spec
        let perLoop = max(1, spec.connectConcurrency / loops.count)
        var futures: [EventLoopFuture<Void>] = []
        for (slot, loop) in loops.enumerated() {
            let bound = states[slot]
            let loopCount = loops.count
            futures.append(loop.flatSubmit {
                let connector = LoopConnector(
                    spec: spec, slot: slot, loopCount: loopCount, loop: loop, state: bound.value, minter: minter,
                    concurrency: perLoop)
                return connector.start()
            })
        }
        for future in futures { try await future.get() }
        return try await snapshot(includeLatency: false)
    }

    /// Totals across the loops, read on each loop.
    public func snapshot(includeLatency: Bool = true) async throws -> ClientSnapshot {
        var total = ClientSnapshot()
        for (slot, loop) in loops.enumerated() {
            let bound = states[slot]
            let part = try await loop.submit { () -> ClientSnapshot in
                var copy = bound.value.snapshot
                if !includeLatency { copy.latency = nil }
                return copy
            }.get()
            total.merge(part)
        }
        return total
    }

    /// Forgets what was received so far (connections stay open): a measurement starts from zero.
    public func resetCounters() async throws {
        for (slot, loop) in loops.enumerated() {
            let bound = states[slot]
            try await loop.submit {
                let state = bound.value
                state.snapshot.messages = 0
                state.snapshot.payloadBytes = 0
                state.snapshot.compressedMessages = 0
                state.snapshot.firstReceiptNs = 0
                state.snapshot.lastReceiptNs = 0
                state.snapshot.badStamps = 0
                state.snapshot.latency?.reset()
            }.get()
        }
    }

    /// Closes every connection (a plain TCP close) and waits until they are closed.
    public func closeAll() async {
        for (slot, loop) in loops.enumerated() {
            let bound = states[slot]
            let closed = loop.flatSubmit { () -> EventLoopFuture<Void> in
                let state = bound.value
                state.closing = true
                let futures = state.channels.map { $0.close().recover { _ in } }
                state.channels.removeAll()
                return EventLoopFuture.andAllComplete(futures, on: loop)
            }
            try? await closed.get()
        }
    }

    public func shutdown() async {
        try? await group.shutdownGracefully()
    }
}

/// Opens the connections of one loop, keeping `concurrency` attempts in flight. Lives on its loop.
final class LoopConnector {
    struct HandshakeTimeout: Error, CustomStringConvertible {
        var description: String { "handshake timed out" }
    }

    private let spec: LoadSpec
    private let loop: EventLoop
    private let state: LoopState
    private let minter: JWTMinter?
    private let concurrency: Int
    private let server: SocketAddress?
    /// One client context for every `wss://` connection of the process: TLS 1.2+, no certificate
    /// check (loopback, a server the bench started).
    static let clientContext: NIOSSLContext? = {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return try? NIOSSLContext(configuration: configuration)
    }()
    /// The client TLS context for `wss://`, nil for plain connections.
    private let tls: NIOSSLContext?
    private var next: Int
    private let end: Int
    private let step: Int
    private var inFlight = 0
    private let done: EventLoopPromise<Void>

    init(
        spec: LoadSpec, slot: Int, loopCount: Int, loop: EventLoop, state: LoopState, minter: JWTMinter?,
        concurrency: Int
    ) {
        self.spec = spec
        self.loop = loop
        self.state = state
        self.minter = minter
        self.concurrency = concurrency
        self.server = try? SocketAddress(ipAddress: spec.url.endpoint.host.description, port: spec.url.endpoint.port)
        self.tls = spec.url.tls ? Self.clientContext : nil
        self.next = spec.firstIndex + slot
        self.end = spec.firstIndex + spec.count
        self.step = loopCount
        self.done = loop.makePromise(of: Void.self)
    }

    func start() -> EventLoopFuture<Void> {
        for _ in 0..<concurrency { launchNext() }
        if inFlight == 0 { done.succeed(()) }
        return done.futureResult
    }

    private func launchNext() {
        guard next < end else { return }
        let index = next
        next += step
        inFlight += 1
        let now = monotonicNanoseconds()
        if state.snapshot.firstConnectStartNs == 0 { state.snapshot.firstConnectStartNs = now }
        connect(index: index).assumeIsolated().whenComplete { result in
            self.inFlight -= 1
            switch result {
            case .success(let channel):
                self.state.channels.append(channel)
            case .failure(let error):
                self.state.snapshot.failed += 1
                if self.state.snapshot.firstError == nil {
                    self.state.snapshot.firstError = "connection \(index): \(error)"
                }
            }
            self.launchNext()
            if self.inFlight == 0 && self.next >= self.end { self.done.succeed(()) }
        }
    }

    private func connect(index: Int) -> EventLoopFuture<Channel> {
        if self.spec.url.tls, self.tls == nil {
            return loop.makeFailedFuture(BenchError("wss:// asked for, but no TLS client context could be made"))
        }
        guard let server else {
            return loop.makeFailedFuture(BenchError("bad server address \(spec.url.endpoint)"))
        }
        let source: SocketAddress
        do {
            source = try SocketAddress(ipAddress: spec.sources.address(for: index).description, port: 0)
        } catch {
            return loop.makeFailedFuture(error)
        }
        let handshake = loop.makePromise(of: Void.self)
        let request = spec.handshakeRequest(connection: index, tokens: minter)
        let bound = NIOLoopBound(state, eventLoop: loop)
        let recordLatency = spec.recordLatency
        let timeout = TimeAmount.milliseconds(spec.handshakeTimeoutMillis)
        let timer = loop.scheduleTask(in: timeout) { handshake.fail(HandshakeTimeout()) }
        // IP_BIND_ADDRESS_NO_PORT: pick the source port at connect time, so one source address serves
        // every (destination, port) pair instead of reserving a port per bind.
        let bindNoPort = ChannelOptions.ipOption(.init(rawValue: 24))
        let tls = self.tls
        return ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(bindNoPort, value: 1)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .bind(to: source)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = LoadClientHandler(
                        state: bound.value, request: request, handshake: handshake, recordLatency: recordLatency)
                    if let tls {
                        // Writes made before the TLS handshake completes wait in the TLS handler.
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: nil))
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(to: server)
            .flatMapError { [loop] error in
                handshake.fail(error)
                return loop.makeFailedFuture(error)
            }
            .flatMap { channel in
                handshake.futureResult.map { channel }.flatMapErrorThrowing { error in
                    channel.close(promise: nil)
                    throw error
                }
            }
            .always { _ in timer.cancel() }
    }
}
