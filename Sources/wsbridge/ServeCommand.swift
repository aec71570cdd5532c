import ArgumentParser
import Logging
import WSBridgeConfig
import WSBridgeDaemon
import WSBridgeSystem

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon. With no Redis configured it uses the embedded in-process broker.",
        discussion: """
            Signals: SIGTERM/SIGINT drain (stop accepting, tell apps, close clients with 1001 over \
            drain_timeout) and exit 0; SIGHUP re-reads the config file and applies what can change live.
            """
    )

    @OptionGroup var options: ServeOptions

    func validate() throws {
        try self.options.validateFlags()
    }

    func run() async throws {
        let configuration = try self.options.load()
        let level = LogLevelControl(Logger.Level(configuration.logLevel))
        LoggingSystem.bootstrap { label in
            LineLogHandler(label: label, level: level, format: configuration.logFormat == .json ? .json : .logfmt)
        }
        let logger = Logger(label: "wsbridge")
        let descriptors = ProcessDescriptors.raiseSoftLimit()
        logger.info(
            "file descriptor limit",
            metadata: [
                "wsb.soft_before": "\(descriptors.before.map(String.init) ?? "unlimited")",
                "wsb.soft": "\(descriptors.after.map(String.init) ?? "unlimited")",
                "wsb.hard": "\(descriptors.hard.map(String.init) ?? "unlimited")",
            ]
        )
        // Watched before anything starts: a SIGTERM that comes while the daemon starts (systemd stopping
        // a unit that is still activating) waits in the stream and drains it right after, instead of
        // killing the process with the socket files it created.
        let signals: AsyncStream<DaemonSignal>
        let daemon: Daemon
        do {
            signals = try SignalWatcher.signals()
            let activated = try ActivatedSockets.fromEnvironment()
            daemon = try Daemon(configuration: configuration, logger: logger, logLevel: level)
            try await daemon.start(activated: activated)
        } catch {
            logger.critical("cannot start", metadata: ["wsb.error": "\(error)"])
            throw ExitCode(1)
        }
        for await signal in signals {
            logger.notice("signal received", metadata: ["wsb.signal": "\(signal.rawValue)"])
            switch signal {
            case .hangup:
                self.reload(daemon, logger: logger)
            case .terminate, .interrupt:
                await daemon.shutdown()
                return
            }
        }
    }

    /// Re-reads the config file with the same flags; an invalid file is rejected and the old one kept.
    private func reload(_ daemon: Daemon, logger: Logger) {
        do {
            try daemon.reload(try ConfigLoader.load(file: self.options.config, overrides: self.options.overrides))
        } catch {
            logger.error("configuration reload rejected; keeping the running configuration", metadata: ["wsb.error": "\(error)"])
        }
    }
}

extension Logger.Level {
    init(_ level: LogLevel) {
        self = Logger.Level(rawValue: level.rawValue) ?? .info
    }
}
