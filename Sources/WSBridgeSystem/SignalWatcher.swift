import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// The signals the daemon acts on, delivered as an async stream: SIGTERM and SIGINT mean drain and exit,
/// SIGHUP means reload the configuration. They are taken from default handling and observed through
/// dispatch sources, so they never interrupt the process mid-write.
public enum DaemonSignal: String, Sendable {
    case terminate = "SIGTERM"
    case interrupt = "SIGINT"
    case hangup = "SIGHUP"

    var number: Int32 {
        switch self {
        case .terminate: SIGTERM
        case .interrupt: SIGINT
        case .hangup: SIGHUP
        }
    }
}

public enum SignalWatcher {
    /// Starts watching; the stream lives as long as the process.
    public static func signals() -> AsyncStream<DaemonSignal> {
        AsyncStream { continuation in
            let queue = DispatchQueue(label: "wsbridge.signals")
            let sources = [DaemonSignal.terminate, .interrupt, .hangup].map { signal -> DispatchSourceSignal in
                _ = Glibc.signal(signal.number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signal.number, queue: queue)
                source.setEventHandler { continuation.yield(signal) }
                source.resume()
                return source
            }
            let holder = SourceHolder(sources)
            continuation.onTermination = { _ in holder.cancel() }
        }
    }
}

/// Keeps the dispatch sources alive until the stream ends. `@unchecked Sendable`: the array is written
/// once in `init` and only read afterwards; `DispatchSource.cancel` is thread safe.
private final class SourceHolder: @unchecked Sendable {
    private let sources: [DispatchSourceSignal]
    init(_ sources: [DispatchSourceSignal]) { self.sources = sources }
    func cancel() { self.sources.forEach { $0.cancel() } }
}
