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
        // rlim_t.max is RLIM_INFINITY.
        guard getrlimit(Self.resource, &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return Int(clamping: limit.rlim_cur)
    }

    /// Raises the soft limit to the hard limit (every client needs a descriptor; the default soft
    /// limit of 1024 would cap a daemon at about a thousand clients). Returns the limits before and
    /// after, for the start-up log; `nil` where unknown or unlimited.
    public static func raiseSoftLimit() -> (before: Int?, after: Int?, hard: Int?) {
        var limit = rlimit()
        guard getrlimit(Self.resource, &limit) == 0 else { return (nil, nil, nil) }
        func value(_ raw: rlim_t) -> Int? { raw == rlim_t.max ? nil : Int(clamping: raw) }
        let before = value(limit.rlim_cur)
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            _ = setrlimit(Self.resource, &raised)
        }
        return (before, Self.softLimit(), value(limit.rlim_max))
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
