import NIOConcurrencyHelpers
import NIOCore

/// Other encodings of a message than its WebSocket frame, made at most once each and shared by every
/// recipient that needs the same one, on every event loop: the frame compressed for permessage-deflate
/// (one per window size), the `data:` lines of a server-sent event.
///
/// Each depends only on the message and its form, so the first recipient's event loop makes it and the
/// others are written the same bytes. Making it under the lock makes a second event loop wait for the
/// first one's result instead of making it again. Thread safe.
public struct DeliveryEncodings: Sendable {
    private struct Entry: Sendable {
        var form: EncodedForm
        var bytes: ByteBuffer
    }

    /// Usually one entry (most clients take the default window): a scan beats a dictionary.
    private let entries = NIOLockedValueBox<[Entry]>([])

    public init() {}

    /// The message in `form`: `make`'s result, called by the first caller only.
    public func encoded(_ form: EncodedForm, make: () -> ByteBuffer) -> ByteBuffer {
        self.entries.withLockedValue { entries in
            if let entry = entries.first(where: { $0.form == form }) {
                return entry.bytes
            }
            let bytes = make()
            entries.append(Entry(form: form, bytes: bytes))
            return bytes
        }
    }
}

/// Names one encoding of a message (``DeliveryEncodings``). The edge defines its forms; the core only
/// tells them apart.
public struct EncodedForm: Hashable, Sendable {
    public let rawValue: Int

    public init(rawValue: Int) {
        self.rawValue = rawValue
    }
}
