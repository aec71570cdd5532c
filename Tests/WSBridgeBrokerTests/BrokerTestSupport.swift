import Foundation
import Logging
import NIOCore
import WSBridgeBroker
import XCTest

/// Collects what a broker hands to its `BrokerHandler`, from any thread.
///
/// `@unchecked Sendable`: every stored property is only read or written while holding `lock`.
final class MessageCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var _batches: [[ByteBuffer]] = []
    private var _linkChanges: [Bool] = []

    var handler: BrokerHandler {
        BrokerHandler(
            received: { batch in self.lock.withLock { self._batches.append(batch) } },
            linkChanged: { linked in self.lock.withLock { self._linkChanges.append(linked) } }
        )
    }

    var batches: [[ByteBuffer]] { self.lock.withLock { self._batches } }
    var messages: [ByteBuffer] { self.batches.flatMap { $0 } }
    var strings: [String] { self.messages.map { String(buffer: $0) } }
    var linkChanges: [Bool] { self.lock.withLock { self._linkChanges } }
}

/// Keeps every log entry in memory so tests can look for a message.
///
/// `@unchecked Sendable`: `entries` is only touched while holding `lock`.
final class LogCapture: @unchecked Sendable {
    struct Entry {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let lock = NSLock()
    private var entries: [Entry] = []

    func append(_ entry: Entry) {
        self.lock.withLock { self.entries.append(entry) }
    }

    var all: [Entry] { self.lock.withLock { self.entries } }

    func logger(label: String = "wsb.test") -> Logger {
        Logger(label: label) { _ in CapturingLogHandler(capture: self) }
    }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = self.metadata
        merged.merge(event.metadata ?? [:]) { _, new in new }
        self.capture.append(.init(level: event.level, message: "\(event.message)", metadata: merged))
    }
}

/// Publishes until one publish succeeds (the publisher may still be connecting), at most `timeout`.
func publishWhenConnected(_ broker: RedisBroker, _ text: String, timeout: TimeInterval = 5) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        do {
            _ = try broker.publish(ByteBuffer(string: text)).wait()
            return
        } catch let error as RedisBrokerError where error == .notConnected && Date() < deadline {
            usleep(10_000)
        }
    }
}
