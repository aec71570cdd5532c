extension StringProtocol {
    /// The text without leading and trailing white space, exactly as Foundation's
    /// `trimmingCharacters(in: .whitespaces)` has it: tab, the Unicode space separators (category Zs:
    /// space, no-break space, the en and em spaces, ideographic space, ...) and U+200B, removed one
    /// Unicode scalar at a time.
    ///
    /// Here so that the daemon needs no `Foundation`, whose `CharacterSet` would link ICU and its
    /// data into the binary.
    public func trimmingWhitespace() -> String {
        let scalars = Substring(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isTrimmedWhitespace }) else { return "" }
        guard let last = scalars.lastIndex(where: { !$0.isTrimmedWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}

extension Unicode.Scalar {
    /// Whether `CharacterSet.whitespaces` holds this scalar (tab, Zs and U+200B; a test compares the two
    /// on every scalar).
    fileprivate var isTrimmedWhitespace: Bool {
        if self.isASCII { return self == " " || self == "\t" }
        return self == "\u{200B}" || self.properties.generalCategory == .spaceSeparator
    }
}
