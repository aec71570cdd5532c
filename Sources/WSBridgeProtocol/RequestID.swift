import WSBridgeJSON

/// The `id` of a request, kept as the raw JSON text the app wrote, so the reply echoes it exactly.
///
/// An id is a JSON string (`"abc"`, escapes and all) or a JSON integer (`7`, `-1`, any number of
/// digits); nothing about it is interpreted.
public struct RequestID: Sendable, Hashable, CustomStringConvertible {
    /// The raw JSON text of the id: `7` or `"abc"` (quotes included).
    public var json: String

    /// Wraps raw JSON text; the caller guarantees it is a JSON string or integer.
    public init(json: String) {
        self.json = json
    }

    /// An integer id.
    public init(_ value: Int) {
        self.json = String(value)
    }

    /// A string id, quoted and escaped as JSON.
    public init(string: String) {
        self.json = JSONText.quoted(string)
    }

    public var description: String {
        json
    }
}
