/// Writing JSON text by hand where building a value would be wasted work (log lines, envelopes).
public enum JSONText {
    /// `value` as a JSON string literal, quotes included (RFC 8259 §7).
    ///
    /// Quote, backslash and the controls U+0000–U+001F are escaped (`\n`, `\r`, `\t` by name, the
    /// others as `\u00xx`). With `escapingAllControls`, so is every character of
    /// ``isControlOrLineBreak(_:)`` (as `\uxxxx`): JSON allows DEL, the C1 controls and U+2028/U+2029
    /// raw, but a log line that holds one may be broken in two by whatever displays it.
    public static func quoted(_ value: String, escapingAllControls: Bool) -> String {
        var quoted = "\""
        quoted.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            case _ where scalar.value < 0x20 || (escapingAllControls && Self.isControlOrLineBreak(scalar)):
                let hex = String(scalar.value, radix: 16)
                quoted += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                quoted.unicodeScalars.append(scalar)
            }
        }
        quoted += "\""
        return quoted
    }

    /// `value` as a JSON string literal, as JSON requires it (`quoted(value, escapingAllControls: false)`).
    public static func quoted(_ value: String) -> String {
        Self.quoted(value, escapingAllControls: false)
    }

    /// C0 and C1 controls, DEL, and the Unicode line and paragraph separators (NEL is a C1 control):
    /// what a one-line text, such as a log line, never holds raw.
    public static func isControlOrLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
