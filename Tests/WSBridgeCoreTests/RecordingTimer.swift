import CoreMetrics
import NIOConcurrencyHelpers

/// A swift-metrics timer handler that keeps what it was given.
final class RecordingTimer: TimerHandler, Sendable {
    let values = NIOLockedValueBox<[Int64]>([])

    func recordNanoseconds(_ duration: Int64) {
        self.values.withLockedValue { $0.append(duration) }
    }

    var count: Int { self.values.withLockedValue { $0.count } }
}
