import NIOConcurrencyHelpers

/// Where the daemon is in its life, for `/readyz`: ready only between "listening" and "draining".
public enum DaemonPhase: String, Sendable {
    /// Built, or starting its listeners.
    case starting
    /// Listening; new clients are welcome.
    case ready
    /// SIGTERM received: no new clients, open ones are being closed.
    case draining
    /// Shut down.
    case stopped
}

/// The current ``DaemonPhase``, readable from any thread.
final class PhaseBox: Sendable {
    private let box = NIOLockedValueBox(DaemonPhase.starting)

    var value: DaemonPhase {
        get { self.box.withLockedValue { $0 } }
        set { self.box.withLockedValue { $0 = newValue } }
    }

    /// Moves to `next` if the phase is one of `current`; false (and no change) otherwise.
    func advance(from current: Set<DaemonPhase>, to next: DaemonPhase) -> Bool {
        self.box.withLockedValue { phase in
            guard current.contains(phase) else { return false }
            phase = next
            return true
        }
    }
}
