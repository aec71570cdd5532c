/// The header fields of a client's request, in order, as an authenticator and apps see them: names as
/// the client wrote them, looked up without regard to case.
public struct HeaderFields: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)]) {
        self.fields = fields
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { (name: $0.0, value: $0.1) }
    }

    /// The value of the first field named `name` (any case).
    public func first(name: String) -> String? {
        self.fields.first(where: { $0.name.caseInsensitiveEquals(name) })?.value
    }

    /// The values of every field named `name` (any case), in order.
    public subscript(name: String) -> [String] {
        self.fields.filter { $0.name.caseInsensitiveEquals(name) }.map(\.value)
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        self.fields.makeIterator()
    }
}

extension String {
    /// ASCII case-insensitive equality, as header names compare (RFC 9110 §5.1).
    public func caseInsensitiveEquals(_ other: String) -> Bool {
        HeaderTokens.equalsIgnoringCase(self.utf8, other.utf8)
    }
}
