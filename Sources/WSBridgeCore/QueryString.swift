/// `application/x-www-form-urlencoded` query strings, as browsers send them in a WebSocket URL.
public enum QueryString {
    /// Splits `a=1&b=x%20y` into decoded pairs; `+` is a space. Malformed escapes are kept literally.
    public static func parse(_ query: String) -> [(name: String, value: String)] {
        guard !query.isEmpty else { return [] }
        var result: [(name: String, value: String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            if let equals = part.firstIndex(of: "=") {
                result.append((self.decode(part[..<equals]), self.decode(part[part.index(after: equals)...])))
            } else {
                result.append((self.decode(part), ""))
            }
        }
        return result
    }

    /// Splits a request target into its path and its raw query.
    public static func split(uri: String) -> (path: String, query: String) {
        // By bytes: a combining mark after `?` or `#` must not be taken into the separator's character.
        let utf8 = uri.utf8
        let end = utf8.firstIndex(of: UInt8(ascii: "#")) ?? utf8.endIndex
        guard let question = utf8[..<end].firstIndex(of: UInt8(ascii: "?")) else {
            return (end == utf8.endIndex ? uri : String(decoding: utf8[..<end], as: UTF8.self), "")
        }
        return (
            String(decoding: utf8[..<question], as: UTF8.self),
            String(decoding: utf8[utf8.index(after: question)..<end], as: UTF8.self)
        )
    }

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next() else {
                    bytes.append(byte)
                    break
                }
                guard let low = iterator.next() else {
                    bytes.append(byte)
                    bytes.append(high)
                    break
                }
                if let h = self.hexValue(high), let l = self.hexValue(low) {
                    bytes.append(h << 4 | l)
                } else {
                    bytes.append(contentsOf: [byte, high, low])
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
