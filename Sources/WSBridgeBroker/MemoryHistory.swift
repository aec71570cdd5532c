import DequeModule
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The history of the embedded broker: the same streams, positions and retention as the Redis function
/// library (``RedisFunctionLibrary``), kept in this process. A value type with no I/O; the embedded
/// broker holds it on its event loop and passes the time in.
///
/// A stream's messages are dropped `ttl` after its last publish, its epoch and offset `metaTTL` after
/// their last use (a publish or a history read); a stream created again gets a new epoch, made from the
/// wall clock like Redis' `TIME`, so positions from an earlier run of the process never match.
///
/// Every stream a session reads its position from has an entry here, so most hold no messages: an
/// empty ring allocates nothing, and streams are changed in place (a copy would duplicate the ring on
/// every publish).
struct MemoryHistory {
    private struct Stream {
        var epoch: String
        var top: UInt64 = 0
        var entries = Deque<ByteBuffer>()
        var lastPublish: NIODeadline
        var lastUse: NIODeadline
    }

    let settings: EmbeddedBrokerHistorySettings
    private var streams: [String: Stream] = [:]
    /// Messages held, counted once per stream they are in.
    private(set) var messageCount = 0
    private let makeEpoch: () -> String

    init(settings: EmbeddedBrokerHistorySettings, makeEpoch: @escaping () -> String = MemoryHistory.wallClockEpoch) {
        self.settings = settings
        self.makeEpoch = makeEpoch
    }

    /// The number of streams with an epoch.
    var streamCount: Int { self.streams.count }

    /// Appends `envelope` to `stream`; returns its position, `EPOCH-OFFSET`.
    mutating func append(_ envelope: ByteBuffer, to stream: String, now: NIODeadline) -> String {
        let size = self.settings.size
        var added = 1
        let position = self.withStream(stream, now: now) { current in
            current.top += 1
            current.entries.append(envelope)
            if current.entries.count > size {
                added -= current.entries.count - size
                current.entries.removeFirst(current.entries.count - size)
            }
            current.lastPublish = now
            return "\(current.epoch)-\(current.top)"
        }
        self.messageCount += added
        return position
    }

    /// Answers like `FCALL wsbridge_history`.
    mutating func history(_ queries: [HistoryQuery], now: NIODeadline) -> [HistorySlice] {
        queries.map { query in
            let current = self.withStream(query.stream, now: now) { $0 }
            var first = current.top + 1
            guard let since = query.since else {
                return HistorySlice(epoch: current.epoch, top: current.top, first: first, entries: [])
            }
            let oldest = current.top - UInt64(current.entries.count) + 1
            first = oldest
            if let position = Self.split(since), position.epoch == current.epoch {
                first = max(oldest, position.offset &+ 1)
            }
            guard first <= current.top else {
                return HistorySlice(epoch: current.epoch, top: current.top, first: current.top + 1, entries: [])
            }
            let skip = Int(first - oldest)
            let entries = Array(current.entries[current.entries.index(current.entries.startIndex, offsetBy: skip)...])
            return HistorySlice(epoch: current.epoch, top: current.top, first: first, entries: entries)
        }
    }

    /// Drops what has expired by `now`: messages `ttl` after the last publish, streams `metaTTL` after
    /// their last use.
    mutating func sweep(now: NIODeadline) {
        // Collected first: changing the table while iterating it would copy it.
        var expired: [String] = []
        var stale: [String] = []
        for (name, stream) in self.streams {
            if now - stream.lastUse >= self.settings.metaTTL {
                expired.append(name)
            } else if !stream.entries.isEmpty, now - stream.lastPublish >= self.settings.ttl {
                stale.append(name)
            }
        }
        for name in expired {
            self.messageCount -= self.streams.removeValue(forKey: name)?.entries.count ?? 0
        }
        for name in stale {
            self.messageCount -= self.streams[name]?.entries.count ?? 0
            self.streams[name]?.entries = []
        }
    }

    /// Runs `body` on the stream as of `now` (expired parts dropped, created with a new epoch if it has
    /// none, marked used), in place in the table.
    private mutating func withStream<Result>(
        _ name: String, now: NIODeadline, _ body: (inout Stream) -> Result
    ) -> Result {
        let settings = self.settings
        let makeEpoch = self.makeEpoch
        let fresh = { Stream(epoch: makeEpoch(), lastPublish: now, lastUse: now) }
        var dropped = 0
        func use(_ current: inout Stream) -> Result {
            if now - current.lastUse >= settings.metaTTL {
                dropped = current.entries.count
                current = fresh()
            } else if !current.entries.isEmpty, now - current.lastPublish >= settings.ttl {
                dropped = current.entries.count
                current.entries = []
            }
            current.lastUse = now
            return body(&current)
        }
        let result = use(&self.streams[name, default: fresh()])
        self.messageCount -= dropped
        return result
    }

    private static func split(_ position: String) -> (epoch: String, offset: UInt64)? {
        guard let dash = position.lastIndex(of: "-"), let offset = UInt64(position[position.index(after: dash)...]) else {
            return nil
        }
        return (String(position[..<dash]), offset)
    }

    /// Hex seconds and five hex digits of microseconds of the wall clock, as the Redis library makes them.
    static func wallClockEpoch() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let micros = String(now.tv_nsec / 1000, radix: 16)
        return String(now.tv_sec, radix: 16) + String(repeating: "0", count: max(0, 5 - micros.count)) + micros
    }
}
