#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be read, in the system's words (`No such file or directory`).
public struct FileReadError: Error, Equatable {
    public var reason: String
}

/// Reads whole small files (the config file, JWT secrets and keys) with plain POSIX calls, so
/// that errors carry the system's exact reason.
public enum FileContents {
    /// Larger files are refused: nothing this module reads is anywhere near this size, and a
    /// mistaken path such as /dev/zero must not hang the daemon.
    static let maximumBytes = 16 << 20

    public static func bytes(atPath path: String) throws(FileReadError) -> [UInt8] {
        guard !path.contains("\0") else {
            throw FileReadError(reason: "path contains a NUL character")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FileReadError(reason: systemReason(errno))
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress, buffer.count)
            }
            if count == 0 {
                return bytes
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileReadError(reason: systemReason(errno))
            }
            bytes.append(contentsOf: chunk[..<count])
            guard bytes.count <= maximumBytes else {
                throw FileReadError(reason: "file is larger than \(maximumBytes >> 20) MiB")
            }
        }
    }

    /// The system's words for an `errno` value (`No such file or directory`).
    static func systemReason(_ code: Int32) -> String {
        guard let text = strerror(code) else {
            return "error \(code)"
        }
        return String(cString: text)
    }
}
