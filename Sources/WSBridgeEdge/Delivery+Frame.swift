import NIOCore
import WSBridgeCore

extension Delivery {
    /// The message as one WebSocket frame (text or binary, final, unmasked), made by the first
    /// recipient that writes it and shared by all: the primary of its ``encodings``.
    var frame: ByteBuffer {
        self.encodings.primary {
            ServerFrame.encode(self.isBinary ? .binary : .text, payload: self.payload, allocator: ByteBufferAllocator())
        }
    }
}
