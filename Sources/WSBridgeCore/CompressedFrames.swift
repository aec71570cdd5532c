import NIOConcurrencyHelpers
import NIOCore

/// A message's frame compressed for permessage-deflate, made at most once per window size and shared by
/// every recipient that negotiated that window, on every event loop.
///
/// wsbridge compresses each message on its own (`server_no_context_takeover`), so the compressed bytes
/// depend only on the message and the window: the first recipient's event loop compresses, the others
/// are written the same bytes. Compressing under the lock makes a second event loop wait for the first
/// one's result instead of compressing again. Thread safe.
public struct CompressedFrames: Sendable {
    private struct Entry: Sendable {
        var windowBits: Int
        var frame: ByteBuffer
    }

    /// Usually one entry (most clients take the default window): a scan beats a dictionary.
    private let entries = NIOLockedValueBox<[Entry]>([])

    public init() {}

    /// The frame for `windowBits`: `make`'s result, called by the first caller only.
    public func frame(windowBits: Int, make: () -> ByteBuffer) -> ByteBuffer {
        self.entries.withLockedValue { entries in
            if let entry = entries.first(where: { $0.windowBits == windowBits }) {
                return entry.frame
            }
            let frame = make()
            entries.append(Entry(windowBits: windowBits, frame: frame))
            return frame
        }
    }
}
