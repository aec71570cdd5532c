import NIOCore
import Histogram

/// What the load connections of one event loop, one process or all processes saw, summed.
public struct ClientSnapshot: Codable, Sendable {
    public var opened = 0
    public var failed = 0
    public var firstError: String?
    /// CLOCK_MONOTONIC of the first connect attempt and of the last completed handshake (0: none).
    public var firstConnectStartNs: UInt64 = 0
    public var lastConnectedNs: UInt64 = 0
    /// Data messages received (text or binary, counted once per message).
    public var messages = 0
    public var payloadBytes = 0
    /// Of those, messages that came compressed (RSV1, with `--deflate`); payloadBytes counts them as sent.
    public var compressedMessages = 0
    public var firstReceiptNs: UInt64 = 0
    public var lastReceiptNs: UInt64 = 0
    /// Connections the server closed with a close frame, by close code.
    public var closeCodes: [String: Int] = [:]
    /// Connections that ended without a close frame (not by the tool).
    public var dropped = 0
    public var pingsAnswered = 0
    /// Messages whose payload did not start with a 16-hex-digit stamp (only with latency recording).
    public var badStamps = 0
    public var protocolErrors = 0
    /// Publish-to-receipt latency in nanoseconds, when recorded.
    public var latency: Histogram<UInt64>?
    /// CPU of the process(es) that held these connections, when reported by child processes.
    public var cpuNanoseconds: UInt64 = 0

    public init() {}

    public var closedByServer: Int { closeCodes.values.reduce(0, +) }

    public mutating func merge(_ other: ClientSnapshot) {
        opened += other.opened
        failed += other.failed
        if firstError == nil { firstError = other.firstError }
        firstConnectStartNs = Self.earliest(firstConnectStartNs, other.firstConnectStartNs)
        lastConnectedNs = max(lastConnectedNs, other.lastConnectedNs)
        messages += other.messages
        payloadBytes += other.payloadBytes
        compressedMessages += other.compressedMessages
        firstReceiptNs = Self.earliest(firstReceiptNs, other.firstReceiptNs)
        lastReceiptNs = max(lastReceiptNs, other.lastReceiptNs)
        for (code, count) in other.closeCodes { closeCodes[code, default: 0] += count }
        dropped += other.dropped
        pingsAnswered += other.pingsAnswered
        badStamps += other.badStamps
        protocolErrors += other.protocolErrors
        if let theirs = other.latency {
            if latency == nil {
                latency = theirs
            } else {
                latency?.add(theirs)
            }
        }
        cpuNanoseconds += other.cpuNanoseconds
    }

    static func earliest(_ a: UInt64, _ b: UInt64) -> UInt64 {
        if a == 0 { return b }
        if b == 0 { return a }
        return min(a, b)
    }

    public static func makeLatencyHistogram() -> Histogram<UInt64> {
        // 1 ns .. 1 hour at 3 significant digits.
        var histogram = Histogram<UInt64>(
            lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
        return histogram
    }
}

/// The state of the load connections on one event loop. Only ever touched on that loop.
final class LoopState {
    var snapshot = ClientSnapshot()
    var channels: [Channel] = []
    /// Set before the tool closes its connections, so their ends are not counted as drops.
    var closing = false

    init(recordLatency: Bool) {
        if recordLatency { snapshot.latency = ClientSnapshot.makeLatencyHistogram() }
    }
}

