#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the kernel holds for TCP sockets, read from /proc: the memory a server's RSS does not show.
/// The figures are the whole network namespace's (the host's, unless the tool runs in one of its own),
/// so a reading's difference over a run is the run's only while nothing else opens or closes many
/// sockets meanwhile; on loopback it holds both ends of every connection.
public struct KernelSocketMemory: Sendable, Equatable {
    /// Every socket in use (`sockets: used` of /proc/net/sockstat).
    public var socketsUsed: Int
    /// TCP sockets in use, IPv4 and IPv6 (`TCP: inuse`, `TCP6: inuse`).
    public var tcpSockets: Int
    /// Pages charged to TCP socket buffers (`TCP: mem`: IPv4 and IPv6 share the count): queued data,
    /// and what sockets keep allocated ahead.
    public var tcpBufferPages: Int
    /// Bytes of the kernel objects that every TCP socket takes one of, the socket and its inode
    /// (``socketSlabCaches``), from /proc/slabinfo: objects in use × their size; nil when that file
    /// cannot be read (it takes root).
    public var socketSlabBytes: Int?

    /// The slab caches of a TCP socket's own objects: `TCP`/`TCPv6` (struct tcp_sock, about 2.3 KiB)
    /// and `sock_inode_cache` (its socket and inode). Only sockets take from them, so their difference
    /// over a run is the run's sockets'. Each socket also takes a file (`filp`), a dentry and, watched by
    /// epoll, an `eventpoll_epi`: caches every file and every epoll user share, which a busy host (a
    /// compiler's temporary files) moves by more than a run's sockets, so they are left out.
    public static let socketSlabCaches: Set<String> = ["TCP", "TCPv6", "sock_inode_cache"]

    /// The system's page size: `TCP: mem` counts pages.
    public static var pageBytes: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// Reads /proc now; nil when /proc/net/sockstat cannot be read.
    public static func read() -> KernelSocketMemory? {
        guard let sockstat = ProcStats.readSmallFile("/proc/net/sockstat"), !sockstat.isEmpty else { return nil }
        let slabinfo = ProcStats.readSmallFile("/proc/slabinfo")
        return KernelSocketMemory(
            sockstat: sockstat, sockstat6: ProcStats.readSmallFile("/proc/net/sockstat6"), slabinfo: slabinfo)
    }

    /// Parses the files' text; what a file lacks counts 0 (slab: nil without slabinfo).
    init(sockstat: String, sockstat6: String?, slabinfo: String?) {
        let four = Self.fields(sockstat)
        let six = sockstat6.map(Self.fields) ?? [:]
        self.socketsUsed = four["sockets"]?["used"] ?? 0
        self.tcpSockets = (four["TCP"]?["inuse"] ?? 0) + (six["TCP6"]?["inuse"] ?? 0)
        self.tcpBufferPages = four["TCP"]?["mem"] ?? 0
        self.socketSlabBytes = slabinfo.flatMap(Self.socketSlabBytes)
    }

    /// `PROTOCOL: name value name value…` lines, by protocol and name.
    private static func fields(_ text: String) -> [String: [String: Int]] {
        var result: [String: [String: Int]] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let words = line[line.index(after: colon)...].split(separator: " ")
            var values: [String: Int] = [:]
            for pair in stride(from: 0, to: words.count - 1, by: 2) {
                if let value = Int(words[pair + 1]) { values[String(words[pair])] = value }
            }
            result[String(line[..<colon])] = values
        }
        return result
    }

    /// Σ active objects × object size over ``socketSlabCaches`` (slabinfo 2.x: `name active_objs
    /// num_objs objsize …`); nil when the text has none of them.
    static func socketSlabBytes(_ slabinfo: String) -> Int? {
        var total: Int?
        for line in slabinfo.split(separator: "\n") {
            let words = line.split(separator: " ", maxSplits: 4)
            guard words.count >= 4, Self.socketSlabCaches.contains(String(words[0])),
                let active = Int(words[1]), let size = Int(words[3])
            else { continue }
            total = (total ?? 0) + active * size
        }
        return total
    }
}
