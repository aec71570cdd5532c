import ArgumentParser
import Dispatch
import Logging
import WSBridgeConfig
import WSBridgeDaemon

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon. With no Redis configured it uses the embedded in-process broker."
    )

    @OptionGroup var options: ServeOptions

    func run() async throws {
        let configuration = try self.options.load()
        LoggingSystem.bootstrap { label in
            LineLogHandler(
                label: label,
                level: Logger.Level(configuration.logLevel),
                format: configuration.logFormat == .json ? .json : .logfmt
            )
        }
        let logger = Logger(label: "wsbridge")
        let daemon: Daemon
        do {
            daemon = try Daemon(configuration: configuration, logger: logger)
            try await daemon.start()
        } catch {
            logger.critical("cannot start", metadata: ["wsb.error": "\(error)"])
            throw ExitCode(1)
        }
        let signal = await SignalWaiter.waitForTermination()
        logger.notice("signal received", metadata: ["wsb.signal": "\(signal)"])
        await daemon.shutdown()
    }
}

extension Logger.Level {
    init(_ level: LogLevel) {
        self = Logger.Level(rawValue: level.rawValue) ?? .info
    }
}
