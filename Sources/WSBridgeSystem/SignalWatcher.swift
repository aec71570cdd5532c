import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// The signals the daemon acts on, delivered as an async stream: SIGTERM and SIGINT mean drain and exit,
/// SIGHUP means reload the configuration.
public enum DaemonSignal: String, Sendable, CaseIterable {
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

    init?(number: Int32) {
        guard let signal = Self.allCases.first(where: { $0.number == number }) else { return nil }
        self = signal
    }
}

public enum SignalWatcher {
    /// Starts watching `watched` (by default all three); the stream lives as long as the process. Call
    /// it once per process.
    ///
    /// Every signal sent after this returns is in the stream: the handlers are installed before it
    /// returns, and a handler only writes the signal's number to a pipe (async-signal-safe), which is
    /// read on a dispatch queue. A dispatch signal source is not used: on Linux it registers on the
    /// dispatch manager thread after `resume()` returns, and a signal sent in between was lost (seen
    /// as a daemon that ignored the SIGTERM sent while it started).
    public static func signals(_ watched: [DaemonSignal] = DaemonSignal.allCases) throws -> AsyncStream<DaemonSignal> {
        let pipe = try SignalPipe.install(watched.map(\.number))
        return AsyncStream { continuation in
            let source = DispatchSource.makeReadSource(fileDescriptor: pipe.readEnd, queue: DispatchQueue(label: "wsbridge.signals"))
            source.setEventHandler {
                for number in pipe.drain() {
                    if let signal = DaemonSignal(number: number) { continuation.yield(signal) }
                }
            }
            source.resume()
            let holder = SourceHolder(source)
            continuation.onTermination = { _ in holder.cancel() }
        }
    }
}

/// Signals cannot be watched (no descriptor left for the pipe, or `sigaction` refused).
public struct SignalWatcherError: Error, CustomStringConvertible {
    public var description: String
}

/// The write end the handler uses. Written once, before any handler that reads it is installed, and
/// only read afterwards (from the handler, which may not take locks).
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

private struct SignalPipe: Sendable {
    let readEnd: Int32

    static func install(_ numbers: [Int32]) throws -> SignalPipe {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw SignalWatcherError(description: "cannot create the signal pipe: \(String(cString: strerror(errno)))")
        }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        signalPipeWriteEnd = ends[1]
        for number in numbers {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                let savedErrno = errno
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipeWriteEnd, &byte, 1)
                errno = savedErrno
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            guard sigaction(number, &action, nil) == 0 else {
                throw SignalWatcherError(description: "cannot install the handler for signal \(number): \(String(cString: strerror(errno)))")
            }
        }
        return SignalPipe(readEnd: ends[0])
    }

    /// The signal numbers written since the last call (the pipe is non-blocking).
    func drain() -> [Int32] {
        var numbers: [Int32] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(self.readEnd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            numbers.append(contentsOf: buffer[..<count].map { Int32($0) })
        }
        return numbers
    }
}

/// Keeps the dispatch source alive until the stream ends. `@unchecked Sendable`: the source is set once
/// in `init` and only read afterwards; `DispatchSource.cancel` is thread safe.
private final class SourceHolder: @unchecked Sendable {
    private let source: DispatchSourceRead
    init(_ source: DispatchSourceRead) { self.source = source }
    func cancel() { self.source.cancel() }
}
