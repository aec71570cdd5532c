import Logging
import NIOConcurrencyHelpers
import NIOCore
import WSBridgeAdmin

extension Daemon {
    /// Every `log_summary_interval`, one `info` line of what the node holds and what happened since the
    /// last line: read from the same snapshot as `/metrics`, so the two never disagree.
    func startSummary(on loop: EventLoop) {
        guard let interval = self.configuration.logSummaryInterval else { return }
        let every = TimeAmount(interval)
        let previous = NIOLockedValueBox<MetricsSnapshot?>(nil)
        let task = loop.scheduleRepeatedAsyncTask(initialDelay: every, delay: every) { _ in
            self.metricsSnapshot().map { snapshot in
                let before = previous.withLockedValue { last in
                    defer { last = snapshot }
                    return last
                }
                self.logger.info("summary", metadata: Self.summary(snapshot, since: before, seconds: interval.components.seconds))
            }
        }
        self.summaryTask.withLockedValue { $0 = task }
    }

    /// The summary's metadata: what is held now, and the counters' growth since `before` (since the
    /// start for the first line).
    static func summary(_ now: MetricsSnapshot, since before: MetricsSnapshot?, seconds: Int64) -> Logger.Metadata {
        let base = before ?? MetricsSnapshot()
        func grown(_ after: Int, _ earlier: Int) -> Logger.MetadataValue { .stringConvertible(max(0, after - earlier)) }
        func sum(_ table: [String: Int]) -> Int { table.values.reduce(0, +) }
        return [
            "wsb.connections": .stringConvertible(now.openWebSockets),
            "wsb.sessions": .stringConvertible(now.sessions),
            "wsb.users": .stringConvertible(now.users),
            "wsb.apps": .stringConvertible(now.appsAttached),
            "wsb.broker": "\(now.brokerUp ? "linked" : "down")",
            "wsb.connects": grown(now.connects, base.connects),
            "wsb.disconnects": grown(sum(now.disconnects), sum(base.disconnects)),
            "wsb.refused": grown(sum(now.authRefusals), sum(base.authRefusals)),
            "wsb.deliveries": grown(sum(now.deliveries), sum(base.deliveries)),
            "wsb.client_messages": grown(now.clientMessages, base.clientMessages),
            "wsb.broker_messages_in": grown(now.brokerMessagesIn, base.brokerMessagesIn),
            "wsb.gaps": grown(sum(now.historyGaps), sum(base.historyGaps)),
            "wsb.limit_hits": grown(sum(now.limitHits), sum(base.limitHits)),
            "wsb.seconds": .stringConvertible(seconds),
        ]
    }
}
