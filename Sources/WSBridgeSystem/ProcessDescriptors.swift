#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many file descriptors the process has open and may open: every WebSocket client is one, so
/// this is the limit that runs out first on a busy host.
public enum ProcessDescriptors {
    /// Open descriptors: the entries of `/proc/self/fd` (Linux), without the one used to read it; `nil`
    /// where that directory does not exist.
    public static func openCount() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            // "." and ".." start with a dot; descriptors are numbers.
            let isDotEntry = withUnsafeBytes(of: entry.pointee.d_name) { raw in raw.first.map { $0 == UInt8(ascii: ".") } ?? true }
            if !isDotEntry { count += 1 }
        }
        return max(0, count - 1)  // the directory stream's own descriptor
    }

    /// The soft limit (`RLIMIT_NOFILE`), or `nil` if unlimited or unknown.
    public static func softLimit() -> Int? {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        // rlim_t.max is RLIM_INFINITY.
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return Int(clamping: limit.rlim_cur)
    }
}
