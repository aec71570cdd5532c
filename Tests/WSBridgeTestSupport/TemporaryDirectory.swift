import Foundation

/// A directory of its own for one test (sockets, files), removed by ``remove()``: tests that run in
/// parallel never share a path.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "wsb-test") throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        self.path = url.path
    }

    /// `name` inside the directory.
    public func file(_ name: String) -> String {
        self.path + "/" + name
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}
