#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The rules for `node_id` and its default, the host name.
enum NodeID {
    static let maximumBytes = 64

    /// Checks an explicit `node_id`.
    static func validate(_ text: String) throws(ConfigValueError) {
        guard !text.isEmpty else {
            throw ConfigValueError("expected a node id, got an empty value")
        }
        guard text.utf8.count <= maximumBytes else {
            throw ConfigValueError("a node id is at most \(maximumBytes) bytes, got \(text.utf8.count)")
        }
        guard text.utf8.allSatisfy(isAllowed) else {
            throw ConfigValueError("a node id is printable ASCII without spaces, got \(ConfigValue.quoted(text))")
        }
    }

    /// The host name, with disallowed bytes replaced by `-` and cut to 64 bytes; `wsbridge` if
    /// nothing is left.
    static func defaultValue(hostName: String = systemHostName()) -> String {
        let bytes = hostName.utf8.prefix(maximumBytes).map { isAllowed($0) ? $0 : UInt8(ascii: "-") }
        let cleaned = String(decoding: bytes, as: UTF8.self)
        return cleaned.isEmpty ? "wsbridge" : cleaned
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte)
    }

    /// `gethostname(2)`. Not `ProcessInfo.hostName`, which may wait on a DNS look-up.
    static func systemHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else {
            return ""
        }
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
