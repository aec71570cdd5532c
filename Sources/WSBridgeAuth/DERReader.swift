/// A minimal reader for the few DER shapes an RSA public key uses (ITU-T X.690):
///
/// ```
///  tag (1 byte) │ length (1 byte < 0x80, or 0x81–0x84 then 1–4 big-endian bytes) │ content
/// ```
///
/// Only single-byte tags and definite lengths are supported, which is all DER allows for the
/// types read here. Every read is bounds-checked and returns `nil` instead of trapping.
struct DERReader {
    static let integerTag: UInt8 = 0x02
    static let bitStringTag: UInt8 = 0x03
    static let nullTag: UInt8 = 0x05
    static let objectIdentifierTag: UInt8 = 0x06
    static let sequenceTag: UInt8 = 0x30

    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
    }

    /// Whether every byte has been read.
    var isAtEnd: Bool { bytes.isEmpty }

    /// Reads one element with `tag` and returns its content, or `nil` if the next element has
    /// another tag or its length is invalid.
    mutating func read(tag: UInt8) -> ArraySlice<UInt8>? {
        guard bytes.first == tag else { return nil }
        var index = bytes.index(after: bytes.startIndex)
        guard index < bytes.endIndex else { return nil }
        let first = bytes[index]
        index += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let lengthBytes = Int(first & 0x7F)
            guard (1...4).contains(lengthBytes), bytes.endIndex - index >= lengthBytes else { return nil }
            for byte in bytes[index..<(index + lengthBytes)] {
                length = length << 8 | Int(byte)
            }
            index += lengthBytes
            // DER: the shortest length form, so a long form must be needed.
            guard length >= 0x80, bytes[index - lengthBytes] != 0 else { return nil }
        }
        guard bytes.endIndex - index >= length else { return nil }
        let content = bytes[index..<(index + length)]
        bytes = bytes[(index + length)...]
        return content
    }

    /// Reads a non-negative INTEGER and returns its magnitude, big-endian, leading zeros kept.
    mutating func readUnsignedInteger() -> ArraySlice<UInt8>? {
        guard let content = read(tag: Self.integerTag), let first = content.first, first & 0x80 == 0 else {
            return nil
        }
        return content
    }
}
