import Logging
import NIOCore
import WSBridgeCore

/// What went through one client connection: counted on its event loop, logged when it closes.
struct ConnectionTally {
    var openedAt = NIODeadline.uptimeNanoseconds(0)
    var messagesIn = 0
    var messagesOut = 0
    var bytesIn = 0
    var bytesOut = 0

    /// The metadata of the "connection closed" line.
    func closedMetadata(label: String, now: NIODeadline) -> Logger.Metadata {
        [
            "wsb.code": "\(label)",
            "wsb.seconds": .stringConvertible(Double((now - self.openedAt).nanoseconds / 1_000_000) / 1000),
            "wsb.messages_in": .stringConvertible(self.messagesIn),
            "wsb.messages_out": .stringConvertible(self.messagesOut),
            "wsb.bytes_in": .stringConvertible(self.bytesIn),
            "wsb.bytes_out": .stringConvertible(self.bytesOut),
        ]
    }
}

extension EdgeContext {
    /// One line when a client connection opens and one when it closes: at `debug`, or at `info` for the
    /// users of `log_user`, so that "user X gets nothing" can be followed connection by connection.
    func logLife(
        _ message: Logger.Message, connection: ConnectionID, user: String, remote: @autoclosure () -> String, path: String,
        _ extra: Logger.Metadata
    ) {
        let traced = self.sharedSettings.value.tracedUsers.contains(user)
        let level: Logger.Level = traced ? .info : .debug
        guard self.logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            "wsb.conn": "\(connection)", "wsb.user": "\(user)", "wsb.remote": "\(remote())", "wsb.path": "\(path)",
        ]
        metadata.merge(extra) { _, new in new }
        self.logger.log(level: level, message, metadata: metadata)
    }
}
