import Foundation
import NIOCore
import NIOPosix

/// A real `redis-server` for tests, on a free loopback port (and optionally a Unix socket in a temp dir).
///
/// ```
///  let redis = try RedisServer.started()          // redis-server --port <free> --bind 127.0.0.1 ...
///  redis.run(["CLIENT", "KILL", "TYPE", "pubsub"]) // through redis-cli
///  redis.stop(); try redis.start()                 // a restart on the same port (and socket path)
/// ```
///
/// The server runs with `--save "" --appendonly no --daemonize no`; its log and socket live in a private
/// temporary directory that is removed in `deinit`, which also stops the server if it still runs. Only
/// this process's own child is ever signalled, by its PID.
public final class RedisServer {
    /// The TCP port; chosen free at init, kept across restarts.
    public private(set) var port: Int
    /// The `--requirepass` password, if any.
    public let password: String?
    /// The `--unixsocket` path, if the server listens on one.
    public let unixSocketPath: String?
    /// The private directory for the log, the socket and anything redis writes.
    public let directory: URL

    private var process: Process?
    private var hasStarted = false

    public static let serverPath = "/usr/bin/redis-server"
    public static let cliPath = "/usr/bin/redis-cli"

    /// Prepares a server on a free port without starting it (see ``start()``).
    public init(password: String? = nil, unixSocket: Bool = false) throws {
        self.password = password
        let name = "wsb-redis-\(UUID().uuidString.prefix(8))"
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        self.unixSocketPath = unixSocket ? self.directory.appendingPathComponent("redis.sock").path : nil
        self.port = try Self.freeLoopbackPort()
    }

    /// A server that is already answering `PING`.
    public static func started(password: String? = nil, unixSocket: Bool = false) throws -> RedisServer {
        let server = try RedisServer(password: password, unixSocket: unixSocket)
        try server.start()
        return server
    }

    deinit {
        self.stop()
        try? FileManager.default.removeItem(at: self.directory)
    }

    /// `redis://127.0.0.1:PORT` (no password).
    public var url: String {
        "redis://127.0.0.1:\(self.port)"
    }

    public var isRunning: Bool {
        self.process?.isRunning ?? false
    }

    /// Starts the server and waits (at most 10 s) until it answers `PING`. The first start retries on a
    /// new port if the chosen one was taken meanwhile; later starts keep the port.
    public func start() throws {
        guard !self.isRunning else { return }
        let tries = self.hasStarted ? 1 : 5
        var lastError: (any Error)?
        for _ in 0..<tries {
            do {
                try self.launch()
                self.hasStarted = true
                return
            } catch {
                lastError = error
                self.stop()
                if !self.hasStarted {
                    self.port = try Self.freeLoopbackPort()
                }
            }
        }
        throw lastError ?? RedisServerError(message: "redis-server did not start")
    }

    /// Stops the server with SIGTERM (SIGKILL after 5 s) and waits for it to exit.
    public func stop() {
        guard let process = self.process else { return }
        self.process = nil
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        kill(pid, SIGCONT)  // a paused server would not act on SIGTERM
        process.terminate()
        // Waits for the exit itself rather than polling `isRunning`.
        let killer = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 5, execute: killer)
        process.waitUntilExit()
        killer.cancel()
    }

    /// Freezes the server with SIGSTOP: its sockets stay open but nothing is answered, like a hung
    /// process or a host gone without a FIN. Pair with ``resume()`` (in a `defer`).
    public func pause() {
        guard let process = self.process, process.isRunning else { return }
        kill(process.processIdentifier, SIGSTOP)
    }

    /// Lets a ``pause()``d server run again (SIGCONT); harmless if it is not paused.
    public func resume() {
        guard let process = self.process, process.isRunning else { return }
        kill(process.processIdentifier, SIGCONT)
    }

    /// Runs `redis-cli -p PORT [-a password] args...` and returns its output, trimmed. `input` is
    /// written to its standard input (use with `-x` to pass binary data as the last argument).
    @discardableResult
    public func run(_ arguments: [String], input: Data? = nil) -> String {
        var cliArguments = ["-h", "127.0.0.1", "-p", "\(self.port)"]
        if let password = self.password {
            cliArguments += ["-a", password, "--no-auth-warning"]
        }
        return Self.execute(Self.cliPath, cliArguments + arguments, input: input)
    }

    // MARK: - Internals

    private func launch() throws {
        var arguments = [
            "--port", "\(self.port)",
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--dir", self.directory.path,
            "--logfile", self.directory.appendingPathComponent("redis.log").path,
        ]
        if let password = self.password {
            arguments += ["--requirepass", password]
        }
        if let path = self.unixSocketPath {
            arguments += ["--unixsocket", path, "--unixsocketperm", "700"]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.serverPath)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process

        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            guard process.isRunning else {
                throw RedisServerError(message: "redis-server exited at start (port \(self.port) taken?)")
            }
            if self.run(["PING"]) == "PONG" {
                return
            }
            usleep(20_000)
        }
        throw RedisServerError(message: "redis-server did not answer PING within 10 s")
    }

    private static func execute(_ path: String, _ arguments: [String], input: Data?) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        do {
            try process.run()
        } catch {
            return "error: \(error)"
        }
        if let input {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A loopback port that was free a moment ago: bind port 0, read the port back, close.
    public static func freeLoopbackPort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0)
            .wait()
        defer { try? channel.close().wait() }
        guard let port = channel.localAddress?.port else {
            throw RedisServerError(message: "could not read back the bound port")
        }
        return port
    }
}

/// The test Redis server could not be started.
public struct RedisServerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { self.message }
}
