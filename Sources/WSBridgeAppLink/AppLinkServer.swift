import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WSBridgeProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The Unix-socket listener local apps attach to. A stale socket file left by a crashed daemon is
/// replaced; a live one (another daemon answering) is an error. The socket gets `app_socket_mode`.
public final class AppLinkServer: Sendable {
    public struct AddressInUse: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "another process is listening on the app socket \(self.path)" }
    }

    private let link: AppLinkContext
    private let group: EventLoopGroup
    private let channel = NIOLockedValueBox<Channel?>(nil)
    /// The socket file this server created (not one adopted from systemd), removed when it stops.
    private let boundPath = NIOLockedValueBox<String?>(nil)

    public init(link: AppLinkContext, group: EventLoopGroup) {
        self.link = link
        self.group = group
    }

    /// Binds `path`, replacing a stale socket file, and applies the file mode.
    public func bind(path: String) async throws {
        try Self.removeStaleSocket(at: path)
        let channel = try await self.bootstrap().bind(unixDomainSocketPath: path).get()
        self.channel.withLockedValue { $0 = channel }
        self.boundPath.withLockedValue { $0 = path }
        let mode = self.link.settings.socketMode
        if chmod(path, mode_t(mode)) != 0 {
            self.link.logger.warning("cannot set the app socket's mode", metadata: ["wsb.path": "\(path)", "wsb.errno": .stringConvertible(errno)])
        }
        self.link.logger.notice(
            "listening", metadata: ["wsb.listener": "app", "wsb.address": "\(path)", "wsb.mode": "\(String(mode, radix: 8))"]
        )
    }

    /// Adopts an already-listening Unix socket (systemd socket activation).
    public func adopt(descriptor: CInt) async throws {
        let channel = try await self.bootstrap().withBoundSocket(descriptor).get()
        self.channel.withLockedValue { $0 = channel }
    }

    /// Closes the listener, and removes the socket file if this server created it (a file of systemd's
    /// socket unit stays: it belongs to systemd).
    public func stopAccepting() async {
        try? await self.channel.withLockedValue { $0 }?.close().get()
        if let path = self.boundPath.withLockedValue({ path in defer { path = nil }; return path }) {
            unlink(path)
        }
    }

    private func bootstrap() -> ServerBootstrap {
        let link = self.link
        return ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 128)
            .childChannelInitializer { channel in
                PeerCredentials.read(from: channel).flatMapThrowing { peer in
                    let settings = link.settings
                    if let allowed = settings.allowedUIDs, !allowed.contains(peer?.uid ?? UInt32.max) {
                        link.counters.refusedPeers.wrappingIncrement(ordering: .relaxed)
                        link.refusedPeerLog.log(
                            "app refused: uid not in app_allowed_uids", level: .warning,
                            metadata: ["wsb.peer": "\(peer.map { "\($0)" } ?? "unknown")"], to: link.logger
                        )
                        channel.close(promise: nil)
                        return
                    }
                    try channel.syncOptions?.setOption(
                        .writeBufferWaterMark, value: .init(low: settings.maxQueueBytes / 2, high: settings.maxQueueBytes)
                    )
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ByteToMessageHandler(AppFrameDecoder(maxFrameBytes: settings.maxFrameBytes)))
                    try sync.addHandler(AppConnection(link: link, peer: peer))
                }
            }
    }

    /// Unlinks `path` if it is a socket nobody listens on; throws if someone does.
    static func removeStaleSocket(at path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK else { return }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard probe >= 0 else { return }
        defer { close(probe) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let fits = withUnsafeMutableBytes(of: &address.sun_path) { raw -> Bool in
            let bytes = Array(path.utf8)
            guard bytes.count < raw.count else { return false }
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
            return true
        }
        guard fits else { return }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected == 0 {
            throw AddressInUse(path: path)
        }
        unlink(path)
    }
}
