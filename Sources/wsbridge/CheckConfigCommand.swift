import Foundation
import ArgumentParser
import WSBridgeConfig

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config file; every error is printed with its line. Exit status 1 if any."
    )

    @Option(name: .long, help: "The config file to check.")
    var config: String

    func run() throws {
        let errors = ConfigLoader.validateFile(path: self.config)
        guard errors.isEmpty else {
            for error in errors {
                printError(error.description)
            }
            throw ExitCode(1)
        }
        print("\(self.config): OK")
    }
}

/// Prints one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
