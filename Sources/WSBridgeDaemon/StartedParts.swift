import Logging
import NIOConcurrencyHelpers

/// What the daemon has brought up, in the order it did, each part with the way it stops. They stop last
/// first, as swift-service-lifecycle's `ServiceGroup` shuts its services down in reverse order: a start
/// that fails half-way stops exactly what it had started, and shutdown stops everything, the listeners
/// first and the event loops last. Each part stops once.
final class StartedParts: Sendable {
    private struct Part {
        var name: String
        var stop: @Sendable () async -> Void
    }

    private let parts = NIOLockedValueBox<[Part]>([])

    /// Records a part that is now running.
    func started(_ name: String, stop: @escaping @Sendable () async -> Void) {
        self.parts.withLockedValue { $0.append(Part(name: name, stop: stop)) }
    }

    /// The parts running, in the order they started.
    var names: [String] { self.parts.withLockedValue { $0.map(\.name) } }

    /// Stops every part, the last started first, each after the one before it has stopped.
    func stopAll(logger: Logger) async {
        while let part = self.parts.withLockedValue({ $0.popLast() }) {
            logger.debug("stopping", metadata: ["wsb.part": "\(part.name)"])
            await part.stop()
        }
    }
}
