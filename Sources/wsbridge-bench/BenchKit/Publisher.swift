import NIOCore
import NIOPosix

/// Publishes a plan's messages on one connection with even pacing (or as fast as acknowledgements
/// allow) and counts the acknowledgements. Messages are encoded straight into the outbound buffer.
public enum Publisher {
    /// Connects to `route` on `loop`, says hello if the route needs it, publishes every message of
    /// `plan`, and returns once every publish was acknowledged (or failed).
    /// Gives up when no acknowledgement came for `stallSeconds` while some were awaited.
    public static func run(
        plan: PublishPlan, route: PublishRoute, on loop: EventLoop, stallSeconds: Double = 10
    ) async throws -> PublishResult {
        let done = loop.makePromise(of: PublishResult.self)
        let wire: PublishWire
        let replies: ReplyCounter.Kind
        switch route {
        case .resp(_, let channel):
            wire = .resp(channel: Array(channel.utf8))
            replies = .resp
        case .fcall:
            wire = .fcall
            replies = .resp
        case .appSocket(_, let receipt):
            if case .presence(let users, let batch) = plan.audience {
                wire = .appPresence(batch: batch, users: users)
            } else {
                wire = .app(receipt: receipt)
            }
            replies = .app
        case .nchanHTTP(let endpoint, let prefix):
            wire = .nchanHTTP(pathPrefix: Array(prefix.utf8), host: Array(endpoint.description.utf8))
            replies = .http
        }
        let needsHello: Bool
        if case .appSocket = route { needsHello = true } else { needsHello = false }
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = PublisherHandler(
                        plan: plan, wire: wire, replies: ReplyCounter(kind: replies), hello: needsHello, done: done,
                        stallNanoseconds: UInt64(stallSeconds * 1e9))
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let channel: Channel
        switch route {
        case .resp(.tcp(let endpoint), _), .fcall(.tcp(let endpoint), _), .nchanHTTP(let endpoint, _):
            channel = try await bootstrap.connect(host: endpoint.host.description, port: endpoint.port).get()
        case .resp(.unix(let path), _), .fcall(.unix(let path), _), .appSocket(let path, _):
            channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
        }
        defer { channel.close(promise: nil) }
        return try await done.futureResult.get()
    }
}

final class PublisherHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Most publishes written in one go, so a late timer catches up in bounded steps.
    private static let maxBatch = 1024

    private let plan: PublishPlan
    private let wire: PublishWire
    private var replies: ReplyCounter
    private var awaitingWelcome: Bool
    private var done: EventLoopPromise<PublishResult>?
    private var result = PublishResult()
    private var rng: SplitMix64
    private var context: ChannelHandlerContext?
    private var startNs: UInt64 = 0
    private var timer: Scheduled<Void>?
    private var helloBuffer = ByteBuffer()
    private let stallNanoseconds: UInt64
    private var lastProgressNs: UInt64 = 0
    private var watchdog: Scheduled<Void>?
    /// Send stamps of the publishes not yet acknowledged, oldest first, and the reply times seen.
    private var unacknowledged: [UInt64] = []
    private var unacknowledgedHead = 0
    private var ackLatencies: [UInt64] = []

    init(
        plan: PublishPlan, wire: PublishWire, replies: ReplyCounter, hello: Bool, done: EventLoopPromise<PublishResult>,
        stallNanoseconds: UInt64
    ) {
        self.stallNanoseconds = stallNanoseconds
        self.plan = plan
        self.wire = wire
        self.replies = replies
        self.awaitingWelcome = hello
        self.done = done
        self.rng = SplitMix64(state: plan.seed)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        timer?.cancel()
        watchdog?.cancel()
    }

    /// Every second: fails the run if replies are awaited and none came for `stallNanoseconds`.
    private func watch() {
        guard let context, done != nil else { return }
        let now = monotonicNanoseconds()
        let awaited = awaitingWelcome || result.acknowledged < result.sent
        if awaited && now &- lastProgressNs > stallNanoseconds {
            finish(
                error: "no reply for \(Double(stallNanoseconds) / 1e9) s: \(result.sent) sent, "
                    + "\(result.acknowledged) acknowledged")
            context.close(promise: nil)
            return
        }
        if !awaited { lastProgressNs = now }
        watchdog = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { self.watch() }
    }

    func channelActive(context: ChannelHandlerContext) {
        lastProgressNs = monotonicNanoseconds()
        watch()
        if awaitingWelcome {
            let hello = #"{"type":"hello","protocol":1,"name":"wsbridge-bench","paths":[]}"#
            var buffer = context.channel.allocator.buffer(capacity: hello.utf8.count + 4)
            buffer.writeInteger(UInt32(hello.utf8.count))
            buffer.writeString(hello)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        } else {
            start(context: context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(error: "the publish connection closed after \(result.acknowledged) of \(plan.messages) replies")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        finish(error: "\(error)")
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if awaitingWelcome {
            helloBuffer.writeBuffer(&buffer)
            guard let length = helloBuffer.getInteger(at: helloBuffer.readerIndex, as: UInt32.self),
                helloBuffer.readableBytes >= 4 + Int(length)
            else { return }
            helloBuffer.moveReaderIndex(forwardBy: 4)
            let body = helloBuffer.readString(length: Int(length)) ?? ""
            guard body.hasPrefix(#"{"type":"welcome""#) else {
                finish(error: "the app socket refused hello: \(body.prefix(200))")
                context.close(promise: nil)
                return
            }
            awaitingWelcome = false
            buffer = helloBuffer
            start(context: context)
        }
        do {
            let counts = try replies.consume(&buffer)
            if counts.ok + counts.errors > 0 {
                let now = monotonicNanoseconds()
                for _ in 0..<(counts.ok + counts.errors) where unacknowledgedHead < unacknowledged.count {
                    ackLatencies.append(now &- unacknowledged[unacknowledgedHead])
                    unacknowledgedHead += 1
                }
                if unacknowledgedHead > 4096, unacknowledgedHead * 2 > unacknowledged.count {
                    unacknowledged.removeFirst(unacknowledgedHead)
                    unacknowledgedHead = 0
                }
                result.acknowledged += counts.ok + counts.errors
                result.errors += counts.errors
                result.receiversReported += counts.receivers
                result.lastAckNs = monotonicNanoseconds()
                lastProgressNs = result.lastAckNs
                if result.firstError == nil { result.firstError = counts.firstError }
            }
        } catch {
            finish(error: "\(error)")
            context.close(promise: nil)
            return
        }
        if result.acknowledged >= plan.messages {
            finish(error: nil)
        } else if plan.rate == nil {
            sendWindow(context: context)
        }
    }

    // MARK: Pacing

    private func start(context: ChannelHandlerContext) {
        startNs = monotonicNanoseconds()
        if plan.messages == 0 {
            finish(error: nil)
        } else if plan.rate == nil {
            sendWindow(context: context)
        } else {
            tick()
        }
    }

    /// Rate mode: writes every message due by now (message `i` is due at start + i / rate), then sleeps
    /// until the next one is due.
    private func tick() {
        guard let context, let rate = plan.rate, done != nil else { return }
        let elapsed = Double(monotonicNanoseconds() &- startNs)
        let due = min(plan.messages, Int(elapsed * rate / 1e9) + 1)
        send(count: min(due - result.sent, Self.maxBatch), context: context)
        guard result.sent < plan.messages else { return }
        let nextDue = startNs &+ UInt64(Double(result.sent) * 1e9 / rate)
        let deadline = NIODeadline.uptimeNanoseconds(nextDue)
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { self.tick() }
    }

    /// Max mode: keeps `window` publishes unacknowledged.
    private func sendWindow(context: ChannelHandlerContext) {
        let inFlight = result.sent - result.acknowledged
        let count = min(plan.window - inFlight, plan.messages - result.sent, Self.maxBatch)
        send(count: count, context: context)
    }

    private func send(count: Int, context: ChannelHandlerContext) {
        guard count > 0 else { return }
        var buffer = context.channel.allocator.buffer(capacity: count * (plan.payloadBytes + 96))
        for _ in 0..<count {
            let target: PublishWire.Target
            switch plan.audience {
            case .everyone:
                target = .all
                result.expectedDeliveries += plan.connections
            case .randomUser(let users):
                let user = rng.next(below: users)
                target = .user(user)
                result.expectedDeliveries += plan.connections(ofUser: user, users: users)
            case .presence(let users, _):
                target = .user(rng.next(below: users))
            }
            let stamp = monotonicNanoseconds()
            unacknowledged.append(stamp)
            if result.firstSendNs == 0 { result.firstSendNs = stamp }
            result.lastSendNs = stamp
            wire.write(target: target, stamp: stamp, payloadBytes: plan.payloadBytes, into: &buffer)
        }
        result.sent += count
        result.largestBatch = max(result.largestBatch, count)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func finish(error: String?) {
        timer?.cancel()
        watchdog?.cancel()
        guard let done else { return }
        self.done = nil
        if !ackLatencies.isEmpty {
            ackLatencies.sort()
            result.ackP50Ns = ackLatencies[ackLatencies.count / 2]
            result.ackP99Ns = ackLatencies[min(ackLatencies.count - 1, ackLatencies.count * 99 / 100)]
            result.ackMaxNs = ackLatencies[ackLatencies.count - 1]
        }
        if let error {
            if result.firstError == nil { result.firstError = error }
        }
        done.succeed(result)
    }
}
