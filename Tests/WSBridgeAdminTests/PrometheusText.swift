import Foundation

/// A minimal reader of the Prometheus text format, enough to check what ``WSBridgeMetrics`` renders:
/// samples keyed by `name{labels}` with labels sorted by name, and the `# HELP` / `# TYPE` lines.
struct PrometheusText {
    var samples: [String: Double] = [:]
    var help: [String: String] = [:]
    var types: [String: String] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = rest.prefix { $0 != " " }
                self.help[String(name)] = String(rest.dropFirst(name.count + 1))
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { self.types[String(parts[2])] = String(parts[3]) }
            } else if let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) {
                self.samples[Self.key(String(line[..<space]))] = value
            }
        }
    }

    /// `name{b="2",a="1"}` → `name{a="1",b="2"}`, so lookups do not depend on label order.
    static func key(_ series: String) -> String {
        guard let open = series.firstIndex(of: "{"), series.hasSuffix("}") else { return series }
        let name = series[..<open]
        let labels = series[series.index(after: open)..<series.index(before: series.endIndex)]
            .split(separator: ",").map(String.init).sorted()
        return name + "{" + labels.joined(separator: ",") + "}"
    }

    subscript(_ series: String) -> Double? {
        self.samples[Self.key(series)]
    }
}
