import Prometheus

/// One metric family that `/metrics` exposes: its name, type, labels and one-line help. The catalog
/// (``all``) is the single list that the exposition, the tests and docs/operations.md follow.
public struct MetricInfo: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case counter
        case gauge
        case histogram
    }

    public let name: String
    public let kind: Kind
    /// Label names, in the order the series carry them.
    public let labels: [String]
    /// One line, shown as `# HELP`.
    public let help: String

    init(_ name: String, _ kind: Kind, labels: [String] = [], _ help: String) {
        self.name = name
        self.kind = kind
        self.labels = labels
        self.help = help
    }

    /// The name and help as swift-prometheus takes them (the whole name as `metricName`: our names
    /// already carry their `wsbridge_` prefix and unit suffix).
    var descriptor: MetricNameDescriptor {
        MetricNameDescriptor(metricName: self.name, unitName: "", helpText: self.help)
    }
}
