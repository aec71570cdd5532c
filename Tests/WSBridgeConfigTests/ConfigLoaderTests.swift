import Foundation
import XCTest

@testable import WSBridgeConfig

final class ConfigLoaderTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    override func tearDown() {
        directory.remove()
    }

    func testAFileIsLoadedOverTheDefaults() throws {
        let path = try directory.write("wsbridge.conf", "listen = 0.0.0.0:9000\nmax_queue_bytes = 2MiB\n")
        let configuration = try ConfigLoader.load(file: path, overrides: [])
        XCTAssertEqual(configuration.listen, ListenAddress(host: "0.0.0.0", port: 9000))
        XCTAssertEqual(configuration.maxQueueBytes, 2 << 20)
        XCTAssertEqual(configuration.channel, "websocket:sendMsgTopic")
    }

    func testFlagsOverrideTheFile() throws {
        let path = try directory.write("wsbridge.conf", "listen = 0.0.0.0:9000\nchannel = from-file\n")
        let configuration = try ConfigLoader.load(
            file: path, overrides: [(key: .listen, value: "[::1]:7000"), (key: .logLevel, value: "debug")])
        XCTAssertEqual(configuration.listen, ListenAddress(host: "::1", port: 7000))
        XCTAssertEqual(configuration.channel, "from-file")
        XCTAssertEqual(configuration.logLevel, .debug)
    }

    func testFlagsWorkWithoutAFile() throws {
        let configuration = try ConfigLoader.load(file: nil, overrides: [(key: .redis, value: "redis://localhost:6380")])
        XCTAssertEqual(configuration.redis?.address, .tcp(host: "localhost", port: 6380))
    }

    func testAFlagValueIsTakenLiterally() throws {
        let configuration = try ConfigLoader.load(file: nil, overrides: [(key: .channel, value: "\"a # b\"")])
        XCTAssertEqual(configuration.channel, "\"a # b\"")
    }

    func testABadFlagIsReportedAsTheFlag() {
        XCTAssertEqual(
            ConfigLoader.validate(file: nil, overrides: [(key: .listen, value: "x")]).map(\.description),
            ["command line: --listen: expected HOST:PORT (or [IPV6]:PORT), got \"x\""])
    }

    func testAMissingFileIsReportedWithTheSystemReason() {
        let path = directory.path + "/missing.conf"
        XCTAssertThrowsError(try ConfigLoader.load(file: path, overrides: [])) { error in
            XCTAssertEqual("\(error)", "cannot read \(path): No such file or directory")
        }
        XCTAssertEqual(
            ConfigLoader.validateFile(path: path),
            [ConfigError(source: path, message: "cannot read \(path): No such file or directory")])
    }

    func testADirectoryIsNotAConfigFile() {
        XCTAssertEqual(
            ConfigLoader.validateFile(path: directory.path).map(\.description),
            ["cannot read \(directory.path): Is a directory"])
    }

    func testInvalidUTF8IsReportedOnItsLine() throws {
        let path = directory.path + "/latin1.conf"
        try Data([0x61, 0x3D, 0x62, 0x0A, 0x63, 0x3D, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(ConfigLoader.validateFile(path: path).map(\.description), ["\(path):2: not valid UTF-8 text"])
    }

    func testValidateFileReportsEveryErrorWithItsLine() throws {
        let text = """
            # wsbridge
            listen = x
            lisen = 0.0.0.0:80
            max_queue_bytes = lots

            no equals here
            channel = a
            channel = b
            auth = jwt
            ping_interval = 90s
            """
        let path = try directory.write("bad.conf", text)
        XCTAssertEqual(
            ConfigLoader.validateFile(path: path).map(\.description),
            [
                "\(path):2: listen: expected HOST:PORT (or [IPV6]:PORT), got \"x\"",
                "\(path):3: unknown key \"lisen\" (did you mean \"listen\"?)",
                "\(path):4: max_queue_bytes: expected a size such as 1MiB, got \"lots\"",
                "\(path):6: expected \"key = value\", but this line has no \"=\"",
                "\(path):8: channel: given twice, first on line 7",
                "\(path):9: auth: jwt needs one of jwt_secret, jwt_secret_file, jwt_public_key_file or jwt_jwks_file",
                "\(path):10: ping_interval: must be shorter than idle_timeout (1m), got 90s; or set idle_timeout = 0",
            ])
    }

    func testLoadThrowsTheFirstErrorOfValidateFile() throws {
        let path = try directory.write("bad.conf", "auth = jwt\nmax_connections = 0\nlisten = x\n")
        XCTAssertThrowsError(try ConfigLoader.load(file: path, overrides: [])) { error in
            XCTAssertEqual(error as? ConfigError, ConfigLoader.validateFile(path: path).first)
            XCTAssertEqual((error as? ConfigError)?.line, 1)
        }
    }

    func testFileErrorsComeBeforeCommandLineErrors() {
        XCTAssertEqual(
            errorDescriptions("listen = x", overrides: [(key: .maxConnections, value: "0")]),
            [
                "test.conf:1: listen: expected HOST:PORT (or [IPV6]:PORT), got \"x\"",
                "command line: --max-connections: must be at least 1, got \"0\"",
            ])
    }

    func testAValidFileHasNoErrors() throws {
        let path = try directory.write("good.conf", "listen = 0.0.0.0:80\n")
        XCTAssertEqual(ConfigLoader.validateFile(path: path), [])
    }
}
