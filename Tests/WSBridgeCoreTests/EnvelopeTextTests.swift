import NIOCore
import WSBridgeCore
import WSBridgeJSON
import XCTest

/// The envelopes wsbridge publishes (an app's `publish`, `wsbridge publish`), written straight into a
/// buffer: the exact bytes for plain text, and what the parser reads back for text that needs escapes.
final class EnvelopeTextTests: XCTestCase {
    private let parser = EnvelopeParser()

    private func text(_ target: DeliveryTarget, _ data: EnvelopeText.Data) -> String {
        String(buffer: EnvelopeText.make(target: target, data: data))
    }

    func testPlainEnvelopesAreTheseBytes() {
        XCTAssertEqual(self.text(.user("alice"), .text("hi")), #"{"user":"alice","data":"hi"}"#)
        XCTAssertEqual(self.text(.users(["a", "b"]), .text("")), #"{"users":["a","b"],"data":""}"#)
        XCTAssertEqual(self.text(.all, .json(#"{"n":1}"#)), #"{"all":true,"data":{"n":1}}"#)
        XCTAssertEqual(self.text(.user("7"), .binary([0, 1, 2, 255])), #"{"user":"7","binary":true,"data":"AAEC/w=="}"#)
    }

    /// Text with quotes, backslashes, controls, non-ASCII and separators comes back as it went in.
    func testEscapedTextReadsBackAsItWas() throws {
        let samples = [
            "say \"hi\"", #"back\slash"#, "line\nbreak\r\t", "\u{0}\u{1}\u{1F}\u{7F}", "é à 日本 😀", "\u{2028}\u{2029}\u{85}",
            String(repeating: "plain ascii run ", count: 20) + "\"", "",
        ]
        for sample in samples {
            let user = String(sample.prefix(40))  // a user id is at most 256 bytes
            for target in [DeliveryTarget.user(user + "u"), .users([user + "1", "x", user + "2"])] {
                let buffer = EnvelopeText.make(target: target, data: .text(sample))
                let envelope = try self.parser.parse(buffer).get()
                XCTAssertEqual(envelope.target, target, String(buffer: buffer))
                XCTAssertEqual(String(buffer: envelope.payload), sample, String(buffer: buffer))
                XCTAssertFalse(envelope.isBinary)
            }
        }
    }
}
