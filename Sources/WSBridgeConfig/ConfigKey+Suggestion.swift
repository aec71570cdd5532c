extension ConfigKey {
    /// Why a key that operators look for, and that wsbridge does not have on purpose, is missing, and
    /// what to use instead.
    static func unsupportedReason(for name: String) -> String? {
        let normalized = String(name.lowercased().map { $0 == "-" ? "_" : $0 })
        switch normalized {
        case "redis_sentinel", "sentinel", "sentinels", "redis_sentinels", "sentinel_master", "redis_master_name":
            return "Redis Sentinel is not supported: set redis to the primary, or use redis_cluster"
                + " (docs/scaling.md, \"Why a cluster, and not Sentinel\")"
        default:
            return nil
        }
    }

    /// The key a misspelt `name` most likely meant: the same key written with dashes or in
    /// upper case, else the nearest key within an edit distance of 2 (first in case order on a tie).
    static func suggestion(for name: String) -> ConfigKey? {
        let normalized = String(name.lowercased().map { $0 == "-" ? "_" : $0 })
        if let exact = ConfigKey(rawValue: normalized) {
            return exact
        }
        var best: (key: ConfigKey, distance: Int)?
        for key in allCases {
            let distance = editDistance(normalized, key.rawValue, limit: 2)
            if distance <= 2, distance < (best?.distance ?? Int.max) {
                best = (key, distance)
            }
        }
        return best?.key
    }

    /// Levenshtein distance between `a` and `b`; any value above `limit` is returned as `limit + 1`.
    static func editDistance(_ a: String, _ b: String, limit: Int) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        if abs(a.count - b.count) > limit {
            return limit + 1
        }
        if a.isEmpty || b.isEmpty {
            return min(max(a.count, b.count), limit + 1)
        }
        var previous = Array(0...b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
                rowMinimum = min(rowMinimum, current[j])
            }
            if rowMinimum > limit {
                return limit + 1
            }
            swap(&previous, &current)
        }
        return min(previous[b.count], limit + 1)
    }
}
