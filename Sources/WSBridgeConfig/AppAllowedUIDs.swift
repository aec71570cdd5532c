#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The rules for `app_allowed_uids`: a list of numeric uids or user names, names resolved with
/// `getpwnam_r` when the configuration is loaded.
enum AppAllowedUIDs {
    /// The uids of a comma-separated list, or `nil` (any peer) for an empty value. An entry of
    /// digits only is a uid; any other entry is a user name, which must exist.
    static func parse(_ text: String) throws(ConfigValueError) -> Set<UInt32>? {
        guard !text.isEmpty else {
            return nil
        }
        return Set(try ConfigValue.list(text).map(uid(ofEntry:)))
    }

    private static func uid(ofEntry entry: String) throws(ConfigValueError) -> UInt32 {
        guard entry.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            guard let uid = try uid(ofUser: entry) else {
                throw ConfigValueError("unknown user \(ConfigValue.quoted(entry))")
            }
            return uid
        }
        guard let uid = UInt32(entry) else {
            throw ConfigValueError("uid \(ConfigValue.quoted(entry)) is out of range; uids are at most \(UInt32.max)")
        }
        return uid
    }

    /// The uid of the user `name` in the system's user database, or `nil` if there is no such user.
    static func uid(ofUser name: String) throws(ConfigValueError) -> UInt32? {
        guard !name.contains("\0") else {
            return nil
        }
        var size = 1024
        while true {
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            var buffer = [CChar](repeating: 0, count: size)
            let bufferSize = size
            let code = getpwnam_r(name, &entry, &buffer, bufferSize, &result)
            switch code {
            case ERANGE where size < 1 << 20:
                size *= 2
            case 0, ENOENT, ESRCH:
                // "Not found" is 0 with no result in POSIX; some systems return ENOENT or ESRCH.
                return result == nil ? nil : entry.pw_uid
            default:
                throw ConfigValueError("cannot look up user \(ConfigValue.quoted(name)): \(FileContents.systemReason(code))")
            }
        }
    }
}
