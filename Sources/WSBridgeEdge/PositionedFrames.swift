import NIOCore
import WSBridgeCore

/// How a client that tracks positions is written: JSON frames of the `wsbridge.v1` subprotocol, or
/// server-sent events. Both carry the same positions, gaps and `ready`; only the bytes differ.
enum PositionedFrames {
    case subprotocol
    case eventStream

    /// A message, with the client's position after it (nil: best effort, no position).
    func message(_ delivery: Delivery, position: SessionPosition?, allocator: ByteBufferAllocator) -> ByteBuffer {
        switch self {
        case .subprotocol:
            SubprotocolFrame.message(data: delivery.data, isBinary: delivery.isBinary, position: position, allocator: allocator)
        case .eventStream:
            EventStreamFrame.message(EventStreamFrame.data(of: delivery, allocator: allocator), position: position, allocator: allocator)
        }
    }

    func gap(_ gap: StreamGap, stream: SessionStream, position: SessionPosition, allocator: ByteBufferAllocator) -> ByteBuffer {
        switch self {
        case .subprotocol: SubprotocolFrame.gap(gap, stream: stream, position: position, allocator: allocator)
        case .eventStream: EventStreamFrame.gap(gap, stream: stream, position: position, allocator: allocator)
        }
    }

    func ready(position: SessionPosition, recovered: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        switch self {
        case .subprotocol: SubprotocolFrame.ready(position: position, recovered: recovered, allocator: allocator)
        case .eventStream: EventStreamFrame.ready(position: position, recovered: recovered, allocator: allocator)
        }
    }

    /// One frame of a recovery.
    struct Frame {
        var bytes: ByteBuffer
        /// A message (counted as one out, and compressed where the connection compresses its own).
        var isMessage: Bool
    }

    /// What a session writes when its recovery arrives: what it missed (gaps first), what arrived
    /// meanwhile, then `ready`.
    func recovery(_ recovery: SessionRecovery, cursor: inout SessionCursor, allocator: ByteBufferAllocator) -> [Frame] {
        var frames: [Frame] = []
        var recovered = 0
        for output in cursor.recovered(recovery) {
            switch output {
            case .deliver(let delivery, let position):
                if delivery.source == .history { recovered += 1 }
                frames.append(Frame(bytes: self.message(delivery, position: position, allocator: allocator), isMessage: true))
            case .gap(let gap, let position):
                let stream: SessionStream = gap.stream == .all ? .all : .user
                frames.append(Frame(bytes: self.gap(gap, stream: stream, position: position, allocator: allocator), isMessage: false))
            }
        }
        frames.append(Frame(bytes: self.ready(position: cursor.position, recovered: recovered, allocator: allocator), isMessage: false))
        return frames
    }
}
