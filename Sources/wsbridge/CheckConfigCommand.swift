import ArgumentParser
import WSBridgeAuth
import WSBridgeConfig
import WSBridgeDaemon

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config file; every error is printed with its line. Exit status 1 if any."
    )

    @Option(name: .long, help: "The config file to check.")
    var config: String

    func run() throws {
        var errors = ConfigLoader.validateFile(path: self.config)
        if errors.isEmpty, let configuration = try? ConfigLoader.load(file: self.config), configuration.auth == .jwt {
            // The keys themselves (a PEM that holds no RSA key, a JWKS without a usable key), as `serve` checks them.
            do {
                _ = try JWTVerifier(configuration)
            } catch {
                errors.append(ConfigError(source: self.config, key: error.configKey.rawValue, message: error.message))
            }
        }
        guard errors.isEmpty else {
            for error in errors {
                printError(error.description)
            }
            throw ExitCode(1)
        }
        print("\(self.config): OK")
    }
}

/// Prints one line to standard error, unbuffered (`write(2)` until all of it is written).
func printError(_ line: String) {
    var line = line + "\n"
    line.withUTF8 { bytes in
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = write(2, base + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }
}
