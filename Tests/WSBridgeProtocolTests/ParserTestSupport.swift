import NIOCore
import WSBridgeProtocol
import XCTest

/// Parses `json`, failing the test (and throwing) if it is refused.
func parsed(_ json: String, file: StaticString = #filePath, line: UInt = #line) throws -> AppRequest {
    switch AppRequestParser.parse(ByteBuffer(string: json)) {
    case .success(let request):
        return request
    case .failure(let error):
        XCTFail("\(json) was refused: \(error)", file: file, line: line)
        throw error
    }
}

/// The error `bytes` are refused with, or nil if they parse.
func refusal(_ bytes: ByteBuffer) -> AppProtocolError? {
    switch AppRequestParser.parse(bytes) {
    case .success: return nil
    case .failure(let error): return error
    }
}

/// The error `json` is refused with, or nil if it parses.
func refusal(_ json: String) -> AppProtocolError? {
    refusal(ByteBuffer(string: json))
}

/// A JSON object written from raw member texts, in order.
func object(_ members: [(String, String)]) -> String {
    "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
}

/// `members` with the value of `name` replaced by `value` (or removed when `value` is nil).
func replacing(_ name: String, with value: String?, in members: [(String, String)]) -> [(String, String)] {
    members.compactMap { member in
        guard member.0 == name else { return member }
        return value.map { (name, $0) }
    }
}

/// The text of an ``AppData`` payload.
func text(_ data: AppData) -> String {
    String(buffer: data.payload)
}
