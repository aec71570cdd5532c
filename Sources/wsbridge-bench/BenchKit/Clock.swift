#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// CLOCK_MONOTONIC in nanoseconds: the clock of the send stamps, shared by every process on the host.
@inline(__always)
public func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
}

/// The 16 lower-case hex digits of a send stamp, as they start every payload.
public enum StampHex {
    public static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Writes the 16 digits of `value` into `buffer` at `offset` (which must have room for them).
    @inline(__always)
    public static func write(_ value: UInt64, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        var v = value
        var i = 15
        while i >= 0 {
            buffer[offset + i] = digits[Int(v & 0xF)]
            v >>= 4
            i -= 1
        }
    }

    /// Reads 16 hex digits; nil if any byte is not a hex digit.
    @inline(__always)
    public static func read(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count >= 16 else { return nil }
        var value: UInt64 = 0
        for i in 0..<16 {
            let c = bytes[i]
            let nibble: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = c &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = c &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = c &- UInt8(ascii: "A") &+ 10
            default: return nil
            }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }
}
