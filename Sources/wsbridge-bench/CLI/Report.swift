import Foundation
import Histogram
import WSBridgeBenchKit

/// The result of one run, printed for people or as JSON (snake_case keys).
struct Report: Codable {
    var scenario: String
    var target: String
    var route: String?
    var connections: ConnectReport
    var publish: PublishReport?
    var deliveries: DeliveryReport?
    var server: ProcessReport?
    var redis: ProcessReport?
    /// The kernel's socket memory over the held connections (idle only).
    var kernel: KernelReport? = nil
    var load: LoadReport
    var latencyMicroseconds: LatencyReport?
    /// Every connection opened, every publish acknowledged without error, every delivery received.
    var complete: Bool
    var problems: [String]
}

struct ConnectReport: Codable {
    var requested: Int
    var opened: Int
    var failed: Int
    var firstError: String?
    var seconds: Double
    var perSecond: Double
    var processes: Int
    var threadsPerProcess: Int
    var sources: String
    /// The load tool's own CPU (this process and its children) from its start to the last handshake,
    /// per connection opened, and how many cores that kept busy: near the number of cores the load
    /// may use, the observed rate is the load tool's, not the server's.
    var loadCPUMicrosecondsPerConnect: Double?
    var loadBusyCores: Double?
}

struct PublishReport: Codable {
    var messages: Int
    var rate: Double?
    var window: Int?
    var payloadBytes: Int
    var sent: Int
    var acknowledged: Int
    var errors: Int
    var firstError: String?
    var receiversReported: Int
    var largestBatch: Int
    var seconds: Double
    /// Publish (or query) to its reply: median, 99th percentile, most.
    var ackP50Microseconds: Double
    var ackP99Microseconds: Double
    var ackMaxMicroseconds: Double
}

struct DeliveryReport: Codable {
    var expected: Int
    var received: Int
    var seconds: Double
    var perSecond: Double
    var closedByServer: [String: Int]
    var dropped: Int
    /// Deliveries that came compressed (with `--deflate`) and the payload bytes of all of them as sent.
    var compressed: Int
    var payloadBytes: Int
}

struct ProcessReport: Codable {
    var pids: [Int32]
    /// Their command names (`/proc/PID/comm`): a wrong PID shows here.
    var names: [String] = []
    var cpuSeconds: Double?
    var cpuMicrosecondsPerDelivery: Double?
    var cpuMicrosecondsPerMessage: Double?
    var cpuMicrosecondsPerConnect: Double?
    /// 1 s / CPU per connect: the connects/s one core of this server could take, whatever the load
    /// tool managed to offer (derived, idle only).
    var connectsPerCPUSecond: Double?
    var rssBeforeBytes: UInt64?
    var rssAfterBytes: UInt64?
    var rssPerConnectionBytes: Double?
}

/// What the kernel held for the connections beside the server's RSS: /proc readings before they
/// opened and while they were held (``KernelSocketMemory``). On loopback both ends of a connection are
/// sockets of this host, so the per-connection figures hold the server's socket and the load tool's;
/// the server's share is one socket's (per connection ÷ `socketsPerConnection`), the two ends taking
/// the same objects and, idle, next to no buffers.
struct KernelReport: Codable {
    var pageBytes: Int
    var tcpSocketsBefore: Int
    var tcpSocketsAfter: Int
    var tcpBufferPagesBefore: Int
    var tcpBufferPagesAfter: Int
    var socketSlabBytesBefore: Int?
    var socketSlabBytesAfter: Int?
    /// TCP sockets more per connection: 2 on loopback.
    var socketsPerConnection: Double
    /// TCP buffer pages more × page size ÷ connections.
    var tcpBufferBytesPerConnection: Double
    /// Socket slab bytes more ÷ connections.
    var socketSlabBytesPerConnection: Double?
    /// (buffers + slab) per connection ÷ sockets per connection: the server's socket's share.
    var bytesPerServerSocket: Double?

    init?(before: KernelSocketMemory?, after: KernelSocketMemory?, connections: Int) {
        guard let before, let after, connections > 0 else { return nil }
        let perConnection = { (more: Int) in Double(more) / Double(connections) }
        self.pageBytes = KernelSocketMemory.pageBytes
        self.tcpSocketsBefore = before.tcpSockets
        self.tcpSocketsAfter = after.tcpSockets
        self.tcpBufferPagesBefore = before.tcpBufferPages
        self.tcpBufferPagesAfter = after.tcpBufferPages
        self.socketSlabBytesBefore = before.socketSlabBytes
        self.socketSlabBytesAfter = after.socketSlabBytes
        self.socketsPerConnection = perConnection(after.tcpSockets - before.tcpSockets)
        self.tcpBufferBytesPerConnection = perConnection((after.tcpBufferPages - before.tcpBufferPages) * self.pageBytes)
        if let slabBefore = before.socketSlabBytes, let slabAfter = after.socketSlabBytes {
            self.socketSlabBytesPerConnection = perConnection(slabAfter - slabBefore)
        }
        if self.socketsPerConnection > 0 {
            self.bytesPerServerSocket =
                (self.tcpBufferBytesPerConnection + (self.socketSlabBytesPerConnection ?? 0)) / self.socketsPerConnection
        }
    }
}

struct LoadReport: Codable {
    var processes: Int
    var threadsPerProcess: Int
    var cpuSeconds: Double
    var cpuMicrosecondsPerDelivery: Double?
    /// Load CPU over wall time: near `processes × threads` means the tool may be the bottleneck.
    var busyCores: Double
}

struct LatencyReport: Codable {
    var count: UInt64
    var p50: Double
    var p90: Double
    var p99: Double
    var p999: Double
    var max: Double
    var mean: Double

    init(_ histogram: Histogram<UInt64>) {
        func us(_ ns: UInt64) -> Double { Double(ns) / 1000 }
        count = histogram.totalCount
        p50 = us(histogram.valueAtPercentile(50))
        p90 = us(histogram.valueAtPercentile(90))
        p99 = us(histogram.valueAtPercentile(99))
        p999 = us(histogram.valueAtPercentile(99.9))
        max = us(histogram.max)
        mean = histogram.mean / 1000
    }
}

extension Report {
    func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func humanText() -> String {
        var lines: [String] = []
        func add(_ label: String, _ text: String) {
            lines.append(label.padding(toLength: 14, withPad: " ", startingAt: 0) + text)
        }
        add("scenario", "\(scenario) against \(target)" + (route.map { " (publish: \($0))" } ?? ""))
        let c = connections
        add(
            "connections",
            "\(c.opened) of \(c.requested) open in \(fmt(c.seconds, 3)) s: \(fmt(c.perSecond, 0)) connects/s"
                + " (\(c.processes) process(es) × \(c.threadsPerProcess) thread(s), sources \(c.sources))")
        if let perConnect = c.loadCPUMicrosecondsPerConnect, let busy = c.loadBusyCores {
            add("", "load: \(fmt(perConnect, 2)) µs of its CPU per connect, \(fmt(busy, 2)) cores busy while connecting")
        }
        if c.failed > 0 { add("", "\(c.failed) failed; first: \(c.firstError ?? "?")") }
        if let p = publish {
            let pace = p.rate.map { "at \(fmt($0, 0))/s" } ?? "as fast as possible (window \(p.window ?? 0))"
            add(
                "published",
                "\(p.acknowledged) of \(p.messages) acknowledged \(pace) in \(fmt(p.seconds, 3)) s, "
                    + "\(p.errors) errors, largest batch \(p.largestBatch)")
            add(
                "reply µs",
                "p50 \(fmt(p.ackP50Microseconds, 1))  p99 \(fmt(p.ackP99Microseconds, 1))  max \(fmt(p.ackMaxMicroseconds, 1))")
            if let error = p.firstError { add("", "first error: \(error)") }
        }
        if let d = deliveries {
            add(
                "deliveries",
                "\(d.received) of \(d.expected) in \(fmt(d.seconds, 3)) s: \(fmt(d.perSecond, 0))/s")
            if !d.closedByServer.isEmpty || d.dropped > 0 {
                add("", "closed by the server: \(d.closedByServer), dropped: \(d.dropped)")
            }
        }
        if let l = latencyMicroseconds {
            add(
                "latency µs",
                "p50 \(fmt(l.p50, 1))  p90 \(fmt(l.p90, 1))  p99 \(fmt(l.p99, 1))  p99.9 \(fmt(l.p999, 1))  "
                    + "max \(fmt(l.max, 1))  (n=\(l.count))")
        }
        for (label, process) in [("server", server), ("redis", redis)] {
            guard let process else { continue }
            let named = zip(process.pids, process.names + Array(repeating: "?", count: process.pids.count))
            var parts: [String] = ["pid " + named.map { "\($0.0) (\($0.1))" }.joined(separator: ", ")]
            if let cpu = process.cpuSeconds { parts.append("CPU \(fmt(cpu, 3)) s") }
            if let v = process.cpuMicrosecondsPerDelivery { parts.append("\(fmt(v, 2)) µs/delivery") }
            if let v = process.cpuMicrosecondsPerMessage { parts.append("\(fmt(v, 2)) µs/message") }
            if let v = process.cpuMicrosecondsPerConnect { parts.append("\(fmt(v, 2)) µs/connect") }
            if let v = process.connectsPerCPUSecond { parts.append("\(fmt(v, 0)) connects per CPU-second") }
            if let before = process.rssBeforeBytes, let after = process.rssAfterBytes {
                parts.append("RSS \(before / 1024) → \(after / 1024) KiB")
            }
            if let v = process.rssPerConnectionBytes { parts.append("\(fmt(v / 1024, 2)) KiB/connection") }
            add(label, parts.joined(separator: ", "))
        }
        if let k = kernel {
            var parts = [
                "TCP sockets \(k.tcpSocketsBefore) → \(k.tcpSocketsAfter) (\(fmt(k.socketsPerConnection, 2))/connection)",
                "buffers \(k.tcpBufferPagesBefore) → \(k.tcpBufferPagesAfter) pages (\(fmt(k.tcpBufferBytesPerConnection, 0)) B/connection)",
            ]
            if let v = k.socketSlabBytesPerConnection { parts.append("socket objects \(fmt(v, 0)) B/connection") }
            if let v = k.bytesPerServerSocket { parts.append("\(fmt(v, 0)) B per server socket") }
            add("kernel", parts.joined(separator: ", "))
        }
        var loadText = "CPU \(fmt(load.cpuSeconds, 3)) s (\(fmt(load.busyCores, 2)) cores busy)"
        if let v = load.cpuMicrosecondsPerDelivery { loadText += ", \(fmt(v, 2)) µs/delivery" }
        add("load tool", loadText)
        add("complete", complete ? "yes" : "NO")
        for problem in problems { add("problem", problem) }
        return lines.joined(separator: "\n")
    }
}

func fmt(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "-" }
    return String(format: "%.\(decimals)f", value)
}
