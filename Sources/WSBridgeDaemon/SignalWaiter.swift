import Dispatch
import Foundation

/// Waits for SIGTERM or SIGINT. The signals are ignored for default handling and observed through
/// dispatch sources, so they never kill the process mid-write.
public enum SignalWaiter {
    public static func waitForTermination() async -> String {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "wsbridge.signals")
            let once = Once()
            var sources: [DispatchSourceSignal] = []
            for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    if once.claim() {
                        continuation.resume(returning: name)
                    }
                }
                source.resume()
                sources.append(source)
            }
            // The sources live as long as the process: shutdown ends it.
            Self.keepAlive.withLock { $0.append(contentsOf: sources) }
        }
    }

    private static let keepAlive = NIOLockedSources()
}

/// A flag that can be claimed once, from any thread.
final class Once: @unchecked Sendable {
    // Guarded by `lock`.
    private var claimed = false
    private let lock = NSLock()
    func claim() -> Bool {
        self.lock.lock()
        defer { self.lock.unlock() }
        if self.claimed { return false }
        self.claimed = true
        return true
    }
}

/// Keeps signal sources alive. `@unchecked Sendable`: every access goes through `lock`.
final class NIOLockedSources: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    func withLock(_ body: (inout [DispatchSourceSignal]) -> Void) {
        self.lock.lock()
        defer { self.lock.unlock() }
        body(&self.sources)
    }
}
