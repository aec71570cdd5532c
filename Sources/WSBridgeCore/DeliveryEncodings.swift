import Atomics
import NIOConcurrencyHelpers
import NIOCore

/// A message's encodings for the wire, made at most once each and shared by every recipient that needs
/// the same one, on every event loop. The core does not know them; the edge names them: the primary
/// one is a WebSocket listener's frame, the others the frame compressed for permessage-deflate (one per
/// window size) and the `data:` lines of a server-sent event.
///
/// Each depends only on the message and its form, so the first recipient's event loop makes it and the
/// others are written the same bytes. The primary encoding, which nearly every recipient takes, is read
/// with one atomic load once made (two event loops making it at once both make it, and one result is
/// kept); the others are made under a lock, which makes a second event loop wait for the first one's
/// result instead of making it again. Thread safe.
public struct DeliveryEncodings: Sendable {
    private final class Made: Sendable {
        let bytes: ByteBuffer

        init(_ bytes: ByteBuffer) {
            self.bytes = bytes
        }
    }

    private let primary = ManagedAtomicLazyReference<Made>()

    private struct Entry: Sendable {
        var form: EncodedForm
        var bytes: ByteBuffer
    }

    /// Usually one entry (most clients take the default window): a scan beats a dictionary.
    private let entries = NIOLockedValueBox<[Entry]>([])

    public init() {}

    /// The message in its primary form: `make`'s result, made by the first caller (or the first few, at
    /// once: one result is kept and returned to all).
    @inlinable
    public func primary(make: () -> ByteBuffer) -> ByteBuffer {
        self.loadPrimary() ?? self.storePrimary(make())
    }

    @usableFromInline
    func loadPrimary() -> ByteBuffer? {
        self.primary.load()?.bytes
    }

    @usableFromInline
    func storePrimary(_ bytes: ByteBuffer) -> ByteBuffer {
        self.primary.storeIfNilThenLoad(Made(bytes)).bytes
    }

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
