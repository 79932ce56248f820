#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Leftovers of writers that died without cleaning up (kill -9, a power cut): every temporary carries its
/// writer's PID in its name, and a later run in the same folder removes those whose writer is gone. Only names
/// of exactly this tool's forms are touched, and only when `kill(pid, 0)` says no such process (ESRCH): a live
/// writer, or one we may not signal, keeps its files.
public enum StaleTemporaries {
    /// `.<name>.slipway-tmp-<pid>-<8 hex digits>` (a file, or a deploy's staged version folder) or
    /// `.<name>.slipway-work-<pid>-<6 characters>` (an external converter's folder): the writer's PID, or nil
    /// for any other name.
    static func writerPID(ofName name: String) -> (pid: Int32, folder: Bool)? {
        guard name.hasPrefix(".") else { return nil }
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return nil }
        let last = parts[parts.count - 1], pidText = parts[parts.count - 2]
        let head = parts[0..<(parts.count - 2)].joined(separator: "-")
        guard !pidText.isEmpty, pidText.count <= 10, pidText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let pid = Int32(pidText), pid > 0
        else { return nil }
        let isTmp = head.hasSuffix(".slipway-tmp") && head.count > ".".count + ".slipway-tmp".count
            && last.count == 8 && last.allSatisfy { $0.isHexDigit && !$0.isUppercase }
        let isWork = head.hasSuffix(".slipway-work") && head.count > ".".count + ".slipway-work".count
            && last.count == 6 && last.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        if isTmp { return (pid, false) }
        if isWork { return (pid, true) }
        return nil
    }

    /// Removes, in `folder`, the temporaries whose writer no longer runs; returns their names.
    @discardableResult
    public static func sweep(folder: String) -> [String] {
        var removed: [String] = []
        for name in ExternalConverter.listFolder(folder) {
            guard let (pid, isFolder) = writerPID(ofName: name), pid != getpid() else { continue }
            guard kill(pid, 0) != 0, errno == ESRCH else { continue }
            let path = "\(folder)/\(name)"
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            let kind = st.st_mode & S_IFMT
            if !isFolder, kind == S_IFREG {
                if unlink(path) == 0 { removed.append(name) }
            } else if kind == S_IFDIR {
                ExternalConverter.removeTree(path)
                removed.append(name)
            }
        }
        return removed.sorted()
    }
}
