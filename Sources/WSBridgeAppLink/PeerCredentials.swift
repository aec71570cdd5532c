import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Who is on the other end of an app socket connection, from `SO_PEERCRED`.
public struct PeerCredentials: Sendable, Equatable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public var description: String { "pid=\(self.pid) uid=\(self.uid) gid=\(self.gid)" }

    /// Reads the peer's credentials of a connected Unix socket channel (on its event loop).
    static func read(from channel: Channel) -> EventLoopFuture<PeerCredentials?> {
        #if canImport(Glibc)
        guard let options = channel as? SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(nil)
        }
        let future: EventLoopFuture<RawCredentials> = options.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: SOL_SOCKET),
            name: NIOBSDSocket.Option(rawValue: SO_PEERCRED)
        )
        return future.map { Optional(PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid)) }.recover { _ in nil }
        #else
        return channel.eventLoop.makeSucceededFuture(nil)
        #endif
    }
}

/// The layout of glibc's `struct ucred` (declared only under `_GNU_SOURCE`).
private struct RawCredentials {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
