import NIOPosix
import WSBridgeDeflate

/// permessage-deflate's zlib streams for one thread (an event loop): a deflater per window size in use
/// and one inflater. Connections keep none of their own, only the window they negotiated: an idle
/// compressed connection costs one byte more than a plain one, not zlib's 300 KiB.
///
/// Sharing works because no stream outlives a message: the server compresses each message on its own
/// (`server_no_context_takeover`) and the client was told to do the same (`client_no_context_takeover`),
/// and a message is compressed or inflated in one go, on the connection's event loop.
///
/// `@unchecked Sendable`: an instance is reached only through ``current``, on the thread that made it.
final class DeflateCodecs: @unchecked Sendable {
    private static let perThread = ThreadSpecificVariable<DeflateCodecs>()

    /// This thread's codecs, made on first use.
    static var current: DeflateCodecs {
        if let codecs = Self.perThread.currentValue {
            return codecs
        }
        let codecs = DeflateCodecs()
        Self.perThread.currentValue = codecs
        return codecs
    }

    /// By window size, 9 to 15 bits (index `windowBits - 9`).
    private var deflaters = [MessageDeflater?](repeating: nil, count: 7)
    /// Allocated on the first compressed message a client sends on this thread.
    private(set) lazy var inflater = MessageInflater()

    func deflater(windowBits: Int) -> MessageDeflater {
        if let deflater = self.deflaters[windowBits - 9] {
            return deflater
        }
        let deflater = MessageDeflater(windowBits: windowBits)
        self.deflaters[windowBits - 9] = deflater
        return deflater
    }
}
