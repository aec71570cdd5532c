#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// Load connections held by child processes (one process may hold only about 20,000 open files):
/// each child is this executable re-run as `wsbridge-bench _hold`, given its `LoadSpec` as one JSON
/// line on stdin, and answering one JSON line (a `ClientSnapshot`) on stdout for each command:
/// `connect`'s answer comes by itself, then `snapshot`, `reset` and `exit` lines.
public final class ChildPool {
    private struct Child {
        var pid: pid_t
        var input: Int32
        var output: LineReader
    }

    private var children: [Child] = []

    /// Starts one child per spec.
    public init(executable: String, specs: [LoadSpec]) throws {
        let encoder = JSONEncoder()
        for spec in specs {
            let child = try Self.spawn(executable: executable, arguments: ["wsbridge-bench", "_hold"])
            children.append(child)
            var line = try encoder.encode(spec)
            line.append(UInt8(ascii: "\n"))
            try writeAll(fd: child.input, bytes: Array(line))
        }
    }

    deinit {
        // Children left running (an error on the way) are ended by the PIDs this pool started.
        for child in children {
            if child.input >= 0 { close(child.input) }
            kill(child.pid, SIGTERM)
            var status: Int32 = 0
            waitpid(child.pid, &status, 0)
        }
    }

    /// Waits for every child to report its connections.
    public func connected() throws -> ClientSnapshot {
        try collect()
    }

    public func snapshot() throws -> ClientSnapshot {
        try broadcast("snapshot")
        return try collect()
    }

    public func reset() throws {
        try broadcast("reset")
        _ = try collect()
    }

    /// Closes the children's connections, ends them, and returns their last totals (with their CPU).
    public func finish() throws -> ClientSnapshot {
        try broadcast("exit")
        let total = try collect()
        for child in children {
            close(child.input)
            var status: Int32 = 0
            waitpid(child.pid, &status, 0)
        }
        children.removeAll()
        return total
    }

    public var count: Int { children.count }

    private func broadcast(_ command: String) throws {
        for child in children { try writeAll(fd: child.input, bytes: Array("\(command)\n".utf8)) }
    }

    private func collect() throws -> ClientSnapshot {
        let decoder = JSONDecoder()
        var total = ClientSnapshot()
        for index in children.indices {
            guard let line = try children[index].output.readLine() else {
                throw BenchError("load process \(children[index].pid) exited early (see its messages above)")
            }
            total.merge(try decoder.decode(ClientSnapshot.self, from: Data(line)))
        }
        return total
    }

    private static func spawn(executable: String, arguments: [String]) throws -> Child {
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw BenchError("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        for fd in toChild + fromChild { posix_spawn_file_actions_addclose(&actions, fd) }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for arg in argv { free(arg) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(toChild[0])
        close(fromChild[1])
        guard rc == 0 else {
            close(toChild[1])
            close(fromChild[0])
            throw BenchError("cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        _ = fcntl(toChild[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fromChild[0], F_SETFD, FD_CLOEXEC)
        return Child(pid: pid, input: toChild[1], output: LineReader(fd: fromChild[0]))
    }
}

/// Blocking line reads from a file descriptor (the children's stdout, a child's stdin).
public struct LineReader {
    private let fd: Int32
    private var pending: [UInt8] = []
    /// A line longer than this is an error (a latency histogram is the largest line: well under it).
    private static let maxLine = 64 << 20

    public init(fd: Int32) { self.fd = fd }

    /// The next line without its newline; nil at end of file.
    public mutating func readLine() throws -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while pending.count <= Self.maxLine {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                return line
            }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw BenchError("read: \(String(cString: strerror(errno)))") }
            if n == 0 {
                if pending.isEmpty { return nil }
                defer { pending.removeAll() }
                return pending
            }
            pending.append(contentsOf: chunk[0..<n])
        }
        throw BenchError("a line over \(Self.maxLine) bytes")
    }
}

public func writeAll(fd: Int32, bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { throw BenchError("write: \(String(cString: strerror(errno)))") }
        offset += n
    }
}
