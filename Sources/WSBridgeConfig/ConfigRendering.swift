/// Renders the commented default config file that the package installs as
/// /etc/wsbridge/wsbridge.conf (and the repository keeps as examples/wsbridge.conf): every key,
/// commented out, showing its default and what it does.
public enum ConfigRendering {
    /// The whole file. Uncommenting any `#key = value` line leaves the configuration unchanged.
    public static func defaultFile() -> String {
        var lines = header
        for key in ConfigKey.allCases {
            lines.append("")
            lines.append("# \(key.summary)" + (key.reloadable ? " [reloadable]" : ""))
            if key == .nodeID {
                lines.append("# Empty means the host name.")
            }
            if let value = key.fileDefault {
                lines.append("#\(key.rawValue) = \(value)")
            } else {
                lines.append("#\(key.rawValue) =")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static let header = [
        "# wsbridge configuration file.",
        "#",
        "# One \"key = value\" per line. \"#\" starts a comment at the start of a line, or after a space",
        "# in an unquoted value. Double-quote a value to keep a \"#\" in it; inside quotes \\\" and \\\\",
        "# are the only escapes. Lists are comma-separated. Durations: 500ms, 25s, 5m, 1h. Sizes: 4096,",
        "# 64KiB, 1MiB, 1GiB (K/KB, M/MB and G/GB mean the same binary units). A key given twice is an",
        "# error.",
        "#",
        "# Every key is also a flag of \"wsbridge serve\" (max_queue_bytes: --max-queue-bytes), and a",
        "# flag wins over this file. Keys marked [reloadable] take effect on SIGHUP",
        "# (systemctl reload wsbridge); the others need a restart. Relative paths are relative to the",
        "# daemon's working directory. Check this file with: wsbridge check-config --config FILE",
        "#",
        "# Every line below is commented out and shows the default.",
    ]
}
