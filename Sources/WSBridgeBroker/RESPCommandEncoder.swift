import CHiredis
import NIOCore

/// Encodes a ``RedisCommand`` as a RESP array of bulk strings with hiredis' `redisFormatCommandArgv`.
///
/// ```
///  RedisCommand(["PUBLISH", "ch", "hi"])
///    → *3\r\n $7\r\nPUBLISH\r\n $2\r\nch\r\n $2\r\nhi\r\n      (spaces added for reading)
/// ```
///
/// Every argument is passed with its explicit length, so payloads may hold any bytes (NUL, CR, LF). The
/// buffer hiredis allocates is copied into `out` and freed with `redisFreeCommand` before returning.
public struct RESPCommandEncoder: MessageToByteEncoder {
    public typealias OutboundIn = RedisCommand

    public init() {}

    public func encode(data: RedisCommand, out: inout ByteBuffer) throws {
        guard !data.arguments.isEmpty else {
            throw RedisCommandEncodingError(reason: "a command needs at least a name")
        }
        // An empty argument still needs a valid address for hiredis' memcpy of zero bytes.
        let empty: CChar = 0
        try withUnsafePointer(to: empty) { empty in
            try Self.withArgumentPointers(data.arguments[...], empty: empty, [], []) { pointers, lengths in
                var argv = pointers
                var formatted: UnsafeMutablePointer<CChar>?
                let length = redisFormatCommandArgv(&formatted, Int32(argv.count), &argv, lengths)
                defer { redisFreeCommand(formatted) }
                guard length >= 0, let formatted else {
                    throw RedisCommandEncodingError(reason: "redisFormatCommandArgv failed (out of memory)")
                }
                out.writeBytes(UnsafeRawBufferPointer(start: formatted, count: Int(length)))
            }
        }
    }

    /// Calls `body` while a pointer to the bytes of every argument is valid: nests one
    /// `withUnsafeReadableBytes` per argument (commands have a handful), so no argument bytes are copied.
    private static func withArgumentPointers(
        _ arguments: ArraySlice<ByteBuffer>,
        empty: UnsafePointer<CChar>,
        _ pointers: [UnsafePointer<CChar>?],
        _ lengths: [Int],
        _ body: ([UnsafePointer<CChar>?], [Int]) throws -> Void
    ) throws {
        guard let first = arguments.first else {
            try body(pointers, lengths)
            return
        }
        try first.withUnsafeReadableBytes { bytes in
            try Self.withArgumentPointers(
                arguments.dropFirst(),
                empty: empty,
                pointers + [bytes.baseAddress?.assumingMemoryBound(to: CChar.self) ?? empty],
                lengths + [bytes.count],
                body
            )
        }
    }
}

/// A command that cannot be encoded (no arguments, or hiredis could not allocate).
public struct RedisCommandEncodingError: Error, Sendable, Hashable {
    public var reason: String
}
