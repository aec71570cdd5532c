import NIOCore

/// One decoded RESP2 value, copied out of hiredis into Swift storage.
///
/// ```
///  +OK\r\n                      → .simpleString("OK")
///  -ERR unknown command\r\n     → .error("ERR unknown command")
///  :42\r\n                      → .integer(42)
///  $5\r\nhello\r\n              → .bulkString(<5 bytes>)      $-1\r\n → .bulkString(nil)
///  *2\r\n:1\r\n:2\r\n           → .array([.integer(1), .integer(2)])   *-1\r\n → .array(nil)
/// ```
///
/// Bulk strings are binary safe: they are kept as `ByteBuffer`s, never as `String`s.
public enum RESPValue: Sendable, Equatable {
    /// `+...`: a status reply such as `OK` or `PONG`.
    case simpleString(String)
    /// `-...`: an error reply, without the leading `-` (for example `WRONGPASS invalid username-password pair`).
    case error(String)
    /// `:...`: a signed 64-bit integer.
    case integer(Int64)
    /// `$...`: a binary-safe string; `nil` is the RESP null bulk string (`$-1`).
    case bulkString(ByteBuffer?)
    /// `*...`: an array of values; `nil` is the RESP null array (`*-1`).
    case array([RESPValue]?)
}

extension RESPValue {
    /// The bytes of a bulk string, or the UTF-8 bytes of a simple string; `nil` for anything else.
    var bytes: ByteBuffer? {
        switch self {
        case .bulkString(let buffer):
            return buffer
        case .simpleString(let string):
            return ByteBuffer(string: string)
        case .error, .integer, .array:
            return nil
        }
    }

    /// The value as text when it is a (bulk or simple) string, for comparing with keywords such as `message`.
    var text: String? {
        switch self {
        case .bulkString(let buffer?):
            return String(buffer: buffer)
        case .simpleString(let string):
            return string
        case .bulkString(nil), .error, .integer, .array:
            return nil
        }
    }
}
