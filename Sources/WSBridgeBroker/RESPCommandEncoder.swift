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
/// Encoding is linear in the command's size, whatever the number of arguments.
public struct RESPCommandEncoder: MessageToByteEncoder {
    public typealias OutboundIn = RedisCommand

    public init() {}

    public func encode(data: RedisCommand, out: inout ByteBuffer) throws {
        guard !data.arguments.isEmpty else {
            throw RedisCommandEncodingError(reason: "a command needs at least a name")
        }
        // The arguments' bytes side by side in one scratch array, so that every pointer hiredis gets
        // stays valid for the one call, however many arguments there are (a history read has a
        // thousand): one copy, linear in the command's size.
        var lengths: [Int] = []
        lengths.reserveCapacity(data.arguments.count)
        var scratch: [UInt8] = []
        scratch.reserveCapacity(data.arguments.reduce(1) { $0 + $1.readableBytes })
        for argument in data.arguments {
            lengths.append(argument.readableBytes)
            scratch.append(contentsOf: argument.readableBytesView)
        }
        scratch.append(0)  // an empty last argument still needs a valid address for hiredis' memcpy
        try scratch.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = []
            argv.reserveCapacity(lengths.count)
            var offset = 0
            for length in lengths {
                argv.append(base + offset)
                offset += length
            }
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

/// A command that cannot be encoded (no arguments, or hiredis could not allocate).
public struct RedisCommandEncodingError: Error, Sendable, Hashable {
    public var reason: String
}
