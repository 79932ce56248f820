#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Isolation
import Synchronization

/// Blocking work (waiting for a child process) runs on a thread of its own: `Isolation.OwnThread`.
typealias BlockingThread = OwnThread
