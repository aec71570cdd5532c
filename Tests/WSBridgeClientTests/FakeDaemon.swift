import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WSBridgeProtocol
import XCTest

/// A stand-in for wsbridge's app link: a NIO server on a Unix socket in a temp dir that speaks the
/// daemon's side of the protocol with `AppRequestParser` and `AppEventEncoder`, answering as
/// ``FakeDaemonScript`` says. It records what it received and the order it answered in, and can push
/// events to, or drop, the attached apps.
final class FakeDaemon: Sendable {
    /// What the fake saw, shared between its connections and the test.
    struct Record {
        /// Every request parsed, in arrival order (over all connections).
        var received: [AppRequest] = []
        /// The ids of the replies written, in the order they were written.
        var answered: [RequestID?] = []
        /// The attached apps' channels.
        var apps: [any Channel] = []
    }

    let socketPath: String
    private let directory: URL
    private let server: any Channel
    private let record: NIOLockedValueBox<Record>

    private init(socketPath: String, directory: URL, server: any Channel, record: NIOLockedValueBox<Record>) {
        self.socketPath = socketPath
        self.directory = directory
        self.server = server
        self.record = record
    }

    /// Starts a fake daemon listening on `app.sock` in a new temp dir.
    static func start(group: any EventLoopGroup) async throws -> FakeDaemon {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let socketPath = directory.appendingPathComponent("app.sock").path
        let record = NIOLockedValueBox(Record())
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                record.withLockedValue { $0.apps.append(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(AppFrameDecoder()),
                        FakeDaemonHandler(record: record)
                    )
                }
            }
            .bind(unixDomainSocketPath: socketPath)
            .get()
        return FakeDaemon(socketPath: socketPath, directory: directory, server: server, record: record)
    }

    /// A fresh directory under the system's temp dir, short enough for a Unix socket path.
    static func temporaryDirectory() -> URL {
        URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("wsbc-\(UUID().uuidString.prefix(8))")
    }

    /// Every request received so far.
    var received: [AppRequest] {
        record.withLockedValue { $0.received }
    }

    /// The ids of the replies written so far, in order.
    var answered: [RequestID?] {
        record.withLockedValue { $0.answered }
    }

    /// Waits until at least `count` requests have arrived (failing after a few seconds).
    @discardableResult
    func waitForRequests(_ count: Int, file: StaticString = #filePath, line: UInt = #line) async throws -> [AppRequest] {
        for _ in 0..<500 {
            let received = self.received
            if received.count >= count { return received }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        XCTFail("the fake daemon got \(received.count) requests, not \(count)", file: file, line: line)
        return received
    }

    /// Sends `event` to every attached app.
    func push(_ event: AppEvent) async throws {
        for app in record.withLockedValue({ $0.apps }) {
            try await app.writeAndFlush(AppEventEncoder.frame(event, allocator: app.allocator))
        }
    }

    /// Closes the connection of every attached app, as a daemon that goes away does.
    func disconnectAll() async {
        for app in record.withLockedValue({ $0.apps }) {
            try? await app.close()
        }
    }

    /// Stops listening and removes the temp dir (the attached apps' connections are closed first).
    func stop() async {
        await disconnectAll()
        try? await server.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Leaves a socket file at `path` that nothing listens on (bound, never listening, closed), so
    /// that connecting to it is refused.
    static func makeStaleSocket(at path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw POSIXError(.ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { sunPath in
            sunPath.copyBytes(from: bytes)
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    }
}

/// The fake daemon's side of one app connection.
final class FakeDaemonHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let record: NIOLockedValueBox<FakeDaemon.Record>
    /// A reply held back until the next one is written.
    private var held: AppEvent?

    init(record: NIOLockedValueBox<FakeDaemon.Record>) {
        self.record = record
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch AppRequestParser.parse(unwrapInboundIn(data)) {
        case .failure(let error):
            write(.failure(error), context: context)
        case .success(let request):
            record.withLockedValue { $0.received.append(request) }
            switch FakeDaemonScript.answer(request) {
            case .reply(let events):
                events.forEach { write($0, context: context) }
                if let later = held {
                    held = nil
                    write(later, context: context)
                }
            case .later(let event):
                held = event
            case .none:
                break
            }
        }
        context.flush()
    }

    private func write(_ event: AppEvent, context: ChannelHandlerContext) {
        switch event {
        case .welcome(let id, _, _, _), .ok(let id, _, _, _), .pong(let id), .error(let id, _, _), .status(let id, _):
            record.withLockedValue { $0.answered.append(id) }
        default:
            break
        }
        context.write(wrapOutboundOut(AppEventEncoder.frame(event, allocator: context.channel.allocator)), promise: nil)
    }
}

@available(*, unavailable)
extension FakeDaemonHandler: Sendable {}
