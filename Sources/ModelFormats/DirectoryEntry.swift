#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The entries `readdir` returns.
public enum DirectoryEntry {
    /// The entry's name, read in place up to its NUL. An entry is only as long as its record (`d_reclen`), not
    /// `MemoryLayout<dirent>.size`: copying `entry.pointee` or its whole `d_name` out reads past the record, and
    /// past glibc's buffer when the record is the last of a full one (AddressSanitizer: heap-buffer-overflow).
    public static func name(_ entry: UnsafePointer<dirent>) -> String {
        let offset = MemoryLayout<dirent>.offset(of: \.d_name)!
        return String(cString: (UnsafeRawPointer(entry) + offset).assumingMemoryBound(to: CChar.self))
    }
}
