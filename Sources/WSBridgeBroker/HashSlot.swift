import NIOCore

/// A Redis Cluster hash slot: `CRC16(key) mod 16384`, where CRC16 is CRC-16/XMODEM (polynomial 0x1021,
/// initial value 0, no reflection) and only the hash tag is hashed when the key has one.
///
/// ```
///  key                    hashed       why
///  "user1000"             "user1000"   no "{"
///  "{user1000}.following" "user1000"   the bytes between the first "{" and the first "}" after it
///  "foo{}{bar}"           "foo{}{bar}" the first "{" is closed at once (empty tag): the whole key
///  "foo{{bar}}zap"        "{bar"       from after the first "{" to the first "}"
///  "foo{bar}{zap}"        "bar"        only the first tag counts
///  "x{"                   "x{"         an unclosed "{": the whole key
/// ```
///
/// The same rule applies to sharded pub/sub channel names (`SSUBSCRIBE`, `SPUBLISH`): a channel lives in
/// the slot of its name. Keys are bytes: a `String` is hashed as its UTF-8.
public struct HashSlot: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The number of slots in a Redis Cluster.
    public static let count = 16384
    /// The lowest slot.
    public static let first = HashSlot(unchecked: 0)
    /// The highest slot (16383).
    public static let last = HashSlot(unchecked: UInt16(count - 1))

    /// The slot number, `0..<16384`.
    public let rawValue: UInt16

    /// The slot `value`, or nil when it is outside `0..<16384`.
    public init?(_ value: Int) {
        guard value >= 0, value < Self.count else { return nil }
        self.rawValue = UInt16(value)
    }

    private init(unchecked value: UInt16) {
        self.rawValue = value
    }

    /// The slot of a key or sharded channel given as UTF-8 text.
    public init(key: String) {
        var key = key
        self = key.withUTF8 { Self(bytes: $0) }
    }

    /// The slot of a key or sharded channel given as bytes.
    public init(key: ByteBuffer) {
        self = key.withUnsafeReadableBytes { Self(bytes: $0) }
    }

    /// The slot of a key or sharded channel given as bytes.
    public init<Bytes: Collection<UInt8>>(bytes: Bytes) {
        self.init(unchecked: Self.crc16(Self.hashedPart(of: bytes)) & UInt16(Self.count - 1))
    }

    /// The part of `key` that is hashed: the hash tag if there is a non-empty one, else the whole key.
    static func hashedPart<Bytes: Collection<UInt8>>(of key: Bytes) -> Bytes.SubSequence {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")) else { return key[...] }
        let tagStart = key.index(after: open)
        guard let close = key[tagStart...].firstIndex(of: UInt8(ascii: "}")), close != tagStart else {
            return key[...]
        }
        return key[tagStart..<close]
    }

    /// CRC-16/XMODEM of `bytes` (the check value of "123456789" is 0x31C3).
    static func crc16(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ crc16Table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return crc
    }

    public static func < (lhs: HashSlot, rhs: HashSlot) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String { String(self.rawValue) }
}

/// The CRC-16/XMODEM table: entry `i` is the CRC of the single byte `i`.
private let crc16Table: [UInt16] = (0...255).map { byte -> UInt16 in
    var crc = UInt16(byte) << 8
    for _ in 0..<8 {
        crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
    }
    return crc
}
