#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time and resident memory of other processes (the server, Redis), read from /proc.
public enum ProcStats {
    /// utime + stime of `pid` (all its threads), in nanoseconds; nil if the process is gone or /proc
    /// can't be read. The kernel counts in clock ticks (usually 10 ms), so short runs are coarse.
    public static func cpuNanoseconds(pid: Int32) -> UInt64? {
        guard let text = readSmallFile("/proc/\(pid)/stat") else { return nil }
        // The command name is in parentheses and may hold spaces: the fields start after the last ')'.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); utime is field 14, stime field 15.
        guard fields.count > 12, let utime = UInt64(fields[11]), let stime = UInt64(fields[12]) else { return nil }
        let ticks = UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1))
        return (utime + stime) * 1_000_000_000 / ticks
    }

    /// The command name of `pid` (`comm`), so a report shows what it measured.
    public static func name(pid: Int32) -> String? {
        guard let text = readSmallFile("/proc/\(pid)/comm") else { return nil }
        return text.trimmingCharacters(in: "\n")
    }

    /// VmRSS of `pid` in bytes; nil if unavailable.
    public static func residentBytes(pid: Int32) -> UInt64? {
        guard let text = readSmallFile("/proc/\(pid)/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let number = line.dropFirst("VmRSS:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
            if let number, let kib = UInt64(number) { return kib * 1024 }
        }
        return nil
    }

    /// This process's CPU time (user + system), nanoseconds.
    public static func ownCPUNanoseconds() -> UInt64 {
        rusageNanoseconds(Int32(RUSAGE_SELF.rawValue))
    }

    /// CPU time of this process's waited-for children, nanoseconds.
    public static func childrenCPUNanoseconds() -> UInt64 {
        rusageNanoseconds(Int32(RUSAGE_CHILDREN.rawValue))
    }

    private static func rusageNanoseconds(_ who: Int32) -> UInt64 {
        var usage = rusage()
        getrusage(__rusage_who_t(who), &usage)
        func ns(_ t: timeval) -> UInt64 { UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_usec) * 1000 }
        return ns(usage.ru_utime) + ns(usage.ru_stime)
    }

    /// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force.
    @discardableResult
    public static func raiseOpenFileLimit() -> UInt64 {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(resource, &limit)
            _ = getrlimit(resource, &limit)
        }
        return UInt64(limit.rlim_cur)
    }

    /// Reads a /proc file (at most 64 KiB).
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 65536)
        var total = 0
        while total < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw in
                read(fd, raw.baseAddress.map { $0 + total }, raw.count - total)
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            total += n
        }
        return String(decoding: bytes[0..<total], as: UTF8.self)
    }
}

/// CPU and memory readings of a set of processes (for nginx: its master and workers).
public struct WatchedProcesses: Sendable {
    public var pids: [Int32]

    public init(pids: [Int32]) { self.pids = pids }

    public var isEmpty: Bool { pids.isEmpty }

    /// Command names, in `pids` order (`?` for a process that is gone).
    public func names() -> [String] {
        pids.map { ProcStats.name(pid: $0) ?? "?" }
    }

    /// Summed CPU; nil if any process can't be read (it exited).
    public func cpuNanoseconds() -> UInt64? {
        guard !pids.isEmpty else { return nil }
        var total: UInt64 = 0
        for pid in pids {
            guard let ns = ProcStats.cpuNanoseconds(pid: pid) else { return nil }
            total += ns
        }
        return total
    }

    public func residentBytes() -> UInt64? {
        guard !pids.isEmpty else { return nil }
        var total: UInt64 = 0
        for pid in pids {
            guard let bytes = ProcStats.residentBytes(pid: pid) else { return nil }
            total += bytes
        }
        return total
    }
}
