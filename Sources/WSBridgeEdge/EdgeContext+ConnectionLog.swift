import Logging
import NIOCore
import WSBridgeCore

extension EdgeContext {
    /// One line when a client connection opens and one when it closes: at `debug`, or at `info` for the
    /// users of `log_user`, so that "user X gets nothing" can be followed connection by connection.
    /// Nothing of the line is made when it is not logged (the default level): every connection passes here twice.
    func logLife(
        _ message: Logger.Message, connection: ConnectionID, user: String, remote: @autoclosure () -> String, path: String,
        _ extra: @autoclosure () -> Logger.Metadata
    ) {
        let traced = self.sharedSettings.value.tracedUsers.contains(user)
        let level: Logger.Level = traced ? .info : .debug
        guard self.logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            "wsb.conn": "\(connection)", "wsb.user": "\(user)", "wsb.remote": "\(remote())", "wsb.path": "\(path)",
        ]
        metadata.merge(extra()) { _, new in new }
        self.logger.log(level: level, message, metadata: metadata)
    }

    /// Counts a client closed as a slow consumer (more than `max_queue_bytes` unread) and logs it at a
    /// bounded rate: a broadcast that outruns many clients at once must not flood the log.
    func noteSlowConsumer(shard: Shard?, connection: ConnectionID, user: String, pending: Int, limit: Int, transport: String) {
        shard?.countLimitHit(.slowConsumer)
        shard?.noteOutboundQueue(bytes: pending)
        self.slowConsumerLog.log(
            "closing slow consumer",
            level: .info,
            metadata: [
                "wsb.conn": "\(connection)", "wsb.user": "\(user)", "wsb.transport": "\(transport)",
                "wsb.limit_bytes": .stringConvertible(limit),
                "wsb.pending_bytes": .stringConvertible(pending),
            ],
            to: self.logger
        )
    }
}
