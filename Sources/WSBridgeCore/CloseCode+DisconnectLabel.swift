extension CloseCode {
    /// The codes that get a label value of their own in `wsbridge_disconnects_total`: every code
    /// wsbridge sends (see ``CloseCode``), the codes a well-behaved client sends, and the two that
    /// never travel in a frame (1005: a close frame without a code; 1006: no close frame at all).
    public static let labelledCodes: [UInt16] = [1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1011, 1012, 1013]

    /// The `code` label of a connection that ended with `code`: its number if it is one of
    /// ``labelledCodes``, else `other` (a client may choose any of 3000–4999, and labels must stay
    /// few). `nil` is `1005` when a close frame without a code was received, `1006` when none was.
    public static func disconnectLabel(_ code: CloseCode?, closeFrameReceived: Bool) -> String {
        guard let code else {
            return closeFrameReceived ? "1005" : "1006"
        }
        return Self.labelledCodes.contains(code.rawValue) ? String(code.rawValue) : "other"
    }

    /// Every value ``disconnectLabel(_:closeFrameReceived:)`` can return, so that each series exists
    /// (at zero) from the first scrape.
    public static var disconnectLabels: [String] {
        Self.labelledCodes.map(String.init) + ["other"]
    }
}
