import CSystemd
import Logging
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Tells systemd how the service is doing (`sd_notify`): READY=1, STATUS=, WATCHDOG=1, RELOADING=1,
/// STOPPING=1. Outside systemd (no `NOTIFY_SOCKET`) every call does nothing.
public final class ServiceNotifier: Sendable {
    private let watchdogTask = NIOLockedValueBox<RepeatedTask?>(nil)

    public init() {}

    /// Whether systemd listens (`NOTIFY_SOCKET` is set).
    public var isSupervised: Bool {
        getenv("NOTIFY_SOCKET") != nil
    }

    public func ready(status: String) { self.notify("READY=1\nSTATUS=\(status)") }
    public func status(_ text: String) { self.notify("STATUS=\(text)") }
    public func reloading() { self.notify("RELOADING=1") }
    public func stopping(status: String) { self.notify("STOPPING=1\nSTATUS=\(status)") }

    /// Starts sending WATCHDOG=1 at half the interval systemd asked for (`WatchdogSec=`), if it asked.
    /// `isAlive` is checked first: a daemon whose event loops are stuck stops petting the watchdog.
    public func startWatchdog(on eventLoop: EventLoop, logger: Logger, isAlive: @escaping @Sendable () -> Bool) {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return }
        let interval = TimeAmount.microseconds(Int64(microseconds / 2))
        logger.info("systemd watchdog enabled", metadata: ["wsb.interval_ms": .stringConvertible(microseconds / 2000)])
        let task = eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: interval) { _ in
            if isAlive() { self.notify("WATCHDOG=1") }
        }
        self.watchdogTask.withLockedValue { $0 = task }
    }

    public func stopWatchdog() {
        self.watchdogTask.withLockedValue { $0?.cancel(); $0 = nil }
    }

    private func notify(_ state: String) {
        _ = sd_notify(0, state)
    }
}
