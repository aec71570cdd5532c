import Logging
import NIOCore

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
