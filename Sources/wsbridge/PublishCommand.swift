import ArgumentParser
import Logging
import NIOCore
import NIOPosix
import WSBridgeBroker
import WSBridgeClient
import WSBridgeConfig
import WSBridgeCore
import WSBridgeDaemon
import WSBridgeJSON
import WSBridgeProtocol

struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish one message to a user, several users or everyone, on every host.",
        discussion: """
            Publishes through the running daemon's app socket (--app-socket, else the config file's \
            app_socket, else the first found of $WSBRIDGE_APP_SOCKET, /run/wsbridge/app.sock, the \
            socket of make run and ./wsbridge-app.sock), or with --redis (--redis-cluster for a Redis \
            Cluster: seed nodes) straight to Redis as a native envelope, \
            durably (FCALL wsbridge_publish: kept in the history, with a position) where Redis has the \
            wsbridge function library (Redis 7), else with PUBLISH. DATA is sent to the recipients as \
            text; with --json it must be a JSON value and is sent as its JSON text. A durable publish \
            prints the message's positions (EPOCH-OFFSET per stream). With --receipt (through the daemon \
            only) it waits for the hosts holding the users to report and prints what the message reached \
            as one JSON object; exit status 3 when it reached nobody.
            """
    )

    @Option(name: .long, help: "Config file to read app_socket (or redis and channel) from.")
    var config: String?
    @Option(name: .long, help: "The daemon's app socket (default: the config file's, else the first found; see wsbridge(8)).")
    var appSocket: String?
    @Option(name: .long, help: "Publish straight to this Redis URL instead of through the daemon.")
    var redis: String?
    @Option(name: .long, help: "Publish straight to this Redis Cluster (seed nodes, redis://host:port[,...]) instead of through the daemon.")
    var redisCluster: String?
    @Option(name: .long, help: "Channel (default: the config file's, else websocket:sendMsgTopic).")
    var channel: String?
    @Option(name: .long, help: "The user to send to.")
    var user: String?
    @Option(name: .long, help: "Comma-separated users to send to.")
    var users: String?
    @Flag(name: .long, help: "Send to everyone.")
    var all = false
    @Flag(name: .long, help: "DATA is a JSON value, sent as its JSON text.")
    var json = false
    @Flag(name: .long, help: "Wait for the delivery receipt and print it (through the daemon only).")
    var receipt = false
    @Option(name: .long, help: "Give up after this many seconds (default 5).")
    var timeout: Double = 5
    @Argument(help: "What the recipients receive.")
    var data: String

    func validate() throws {
        let targets = [self.user != nil, self.users != nil, self.all].filter { $0 }.count
        guard targets == 1 else {
            throw ValidationError("give exactly one of --user ID, --users A,B or --all")
        }
        if let users, users.split(separator: ",").contains(where: { $0.trimmingWhitespace().isEmpty }) {
            throw ValidationError("--users: empty user id in \"\(users)\"")
        }
        if self.json, case .failure(let error) = Self.checkJSON(self.data) {
            throw ValidationError("--json: DATA is not valid JSON: \(error)")
        }
        guard self.timeout > 0 else { throw ValidationError("--timeout must be positive") }
        if self.receipt, self.redis != nil || self.redisCluster != nil {
            throw ValidationError("--receipt needs the daemon (its hosts report to it): drop --redis or --redis-cluster")
        }
        if self.redis != nil, self.redisCluster != nil {
            throw ValidationError("give --redis (one Redis server) or --redis-cluster (a Redis Cluster), not both")
        }
    }

    func run() async throws {
        var overrides: [ConfigLoader.Override] = []
        if let redis { overrides.append((.redis, redis)) }
        if let redisCluster { overrides.append((.redisCluster, redisCluster)) }
        if let channel { overrides.append((.channel, channel)) }
        if let appSocket { overrides.append((.appSocket, appSocket)) }
        let configuration: WSBridgeConfiguration
        do {
            configuration = try ConfigLoader.load(file: self.config, overrides: overrides)
        } catch {
            throw ValidationError(error.description)
        }
        let timeout = TimeAmount.nanoseconds(Int64(self.timeout * 1e9))
        let library = RedisFunctionLibrary(configuration)
        if self.redisCluster != nil, let seeds = configuration.redisCluster {
            try await self.publishStraight(to: "the Redis Cluster " + seeds.map(\.redacted).joined(separator: ",")) { message, logger in
                try await RedisClusterBroker.publishOnce(
                    message, seeds: seeds.map(RedisConnectionTarget.init), channel: configuration.channel, library: library,
                    timeout: timeout, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
            }
            return
        }
        guard self.redis != nil, let endpoint = configuration.redis else {
            switch AppSocketSearch.resolve(flag: self.appSocket, config: self.config, configured: configuration.appSocket) {
            case .success(let socket):
                try await self.publishThroughDaemon(socket: socket)
            case .failure(let failure):
                printError("wsbridge publish: \(failure)")
                throw ExitCode(1)
            }
            return
        }
        try await self.publishStraight(to: endpoint.redacted) { message, logger in
            try await RedisBroker.publishOnce(
                message, target: RedisConnectionTarget(endpoint), channel: configuration.channel, library: library,
                timeout: timeout, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
        }
    }

    /// Publishes the native envelope of the arguments with `publish` (straight to Redis, not through the
    /// daemon) and prints its positions; a failure names `destination`.
    private func publishStraight(
        to destination: String, _ publish: (ByteBuffer, Logger) async throws -> PublishReceipt
    ) async throws {
        let message = EnvelopeText.make(target: self.target, data: self.json ? .json(self.data) : .text(self.data))
        var logger = Logger(label: "wsbridge.publish")
        logger.logLevel = .critical
        do {
            if let positions = try await publish(message, logger).positions {
                print(positions)
            }
        } catch {
            printError("wsbridge publish: could not publish to \(destination): \(error)")
            throw ExitCode(1)
        }
    }

    /// The recipients named by --user, --users or --all.
    private var target: DeliveryTarget {
        if let user { return .user(user) }
        if let users { return .users(users.split(separator: ",").map { $0.trimmingWhitespace() }) }
        return .all
    }

    private func publishThroughDaemon(socket: String) async throws {
        let target: AppTarget
        switch self.target {
        case .user(let user): target = .user(user)
        case .users(let users): target = .users(users)
        case .all: target = .all
        }
        let data: AppData = self.json ? .json(ByteBuffer(string: self.data)) : .text(ByteBuffer(string: self.data))
        let wantsReceipt = self.receipt
        var reachedNobody = false
        try await withAppClient(socket: socket, name: "wsbridge-publish") { client in
            if wantsReceipt {
                let (positions, receipt) = try await client.publishWithReceipt(target, data)
                if let positions { print(positions) }
                print(Self.json(receipt))
                reachedNobody = receipt.sessions == 0
            } else if let positions = try await client.publish(target, data) {
                print(positions)
            }
        }
        if reachedNobody {
            throw ExitCode(3)
        }
    }

    /// The receipt as one JSON object, in the protocol's words.
    static func json(_ receipt: AppReceipt) -> String {
        "{\"sessions\":\(receipt.sessions),\"hosts\":\(receipt.hosts),\"unknown_hosts\":\(receipt.unknownHosts),"
            + "\"users\":\(AppPresence.jsonObject(receipt.users)),\"offline\":[\(receipt.offline.map(JSONText.quoted).joined(separator: ","))]}"
    }

    static func checkJSON(_ text: String) -> Result<Void, JSONScanError> {
        // A JSON value is valid exactly when it is the single member of an object.
        let wrapped = ByteBuffer(string: "{\"v\":" + text + "}")
        return Result { () throws(JSONScanError) in
            let members = try JSONScanner.scanObject(wrapped)
            guard members.count == 1 else {
                throw JSONScanError(offset: 0, reason: "more than one value")
            }
        }
    }
}
