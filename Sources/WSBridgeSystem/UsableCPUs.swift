import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// How many CPUs this process may actually run on: the smaller of its CPU affinity (`taskset`,
/// `CPUAffinity=`; the `Cpus_allowed_list` of /proc/self/status) and what NIO derives from the cgroup
/// quota and cpuset. The default number of event loops.
public enum UsableCPUs {
    public static func count() -> Int {
        let fromCgroup = System.coreCount
        guard let affinity = self.affinityCount() else { return max(1, fromCgroup) }
        return max(1, min(affinity, fromCgroup))
    }

    /// The number of CPUs in the affinity mask, or nil where /proc does not say.
    static func affinityCount(status path: String = "/proc/self/status") -> Int? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            guard let line else { continue }
            let text = String(cString: line)
            if text.hasPrefix("Cpus_allowed_list:") {
                return self.countList(text.dropFirst("Cpus_allowed_list:".count))
            }
        }
        return nil
    }

    /// Counts a CPU list such as `0-3,8,10-11`; nil if it does not parse.
    static func countList(_ list: Substring) -> Int? {
        var total = 0
        for part in list.split(separator: ",") {
            let bounds = part.filter { !$0.isWhitespace }.split(separator: "-")
            switch bounds.count {
            case 1:
                guard Int(bounds[0]) != nil else { return nil }
                total += 1
            case 2:
                guard let low = Int(bounds[0]), let high = Int(bounds[1]), high >= low else { return nil }
                total += high - low + 1
            default:
                return nil
            }
        }
        return total > 0 ? total : nil
    }
}
