#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time and memory of this process, for the standard Prometheus `process_*` metrics.
public struct ProcessUsage: Sendable, Equatable {
    /// User plus system CPU time, in seconds.
    public var cpuSeconds: Double
    /// Resident set size, in bytes.
    public var residentBytes: Int
    /// Virtual memory size, in bytes.
    public var virtualBytes: Int

    public init(cpuSeconds: Double, residentBytes: Int, virtualBytes: Int) {
        self.cpuSeconds = cpuSeconds
        self.residentBytes = residentBytes
        self.virtualBytes = virtualBytes
    }

    /// Read from `/proc/self/stat` (Linux); `nil` where it does not exist or cannot be parsed.
    public static func current() -> ProcessUsage? {
        guard let text = Self.contents(of: "/proc/self/stat") else { return nil }
        return Self.parse(stat: text, ticksPerSecond: Int(sysconf(Int32(_SC_CLK_TCK))), pageSize: Int(sysconf(Int32(_SC_PAGESIZE))))
    }

    /// Parses the text of `/proc/PID/stat` (proc(5)). The command name, field 2, is in parentheses
    /// and may itself hold spaces and parentheses, so the fields are counted from the last `)`.
    public static func parse(stat: String, ticksPerSecond: Int, pageSize: Int) -> ProcessUsage? {
        guard ticksPerSecond > 0, let close = stat.lastIndex(of: ")") else { return nil }
        // After ")": field 3 (state) is the first; utime is field 14, stime 15, vsize 23, rss 24.
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        func field(_ number: Int) -> Int? {
            let index = number - 3
            return index < fields.count ? Int(fields[index]) : nil
        }
        guard let user = field(14), let system = field(15), let virtual = field(23), let resident = field(24) else { return nil }
        return ProcessUsage(
            cpuSeconds: Double(user + system) / Double(ticksPerSecond),
            residentBytes: resident * pageSize,
            virtualBytes: virtual)
    }

    private static func contents(of path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while bytes.count < 64 * 1024 {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
