import Foundation
import Synchronization

#if Allocations
    import MallocInterposerSwift
#endif

/// Counts the allocations (`malloc` and friends, every thread) made while a row's events are
/// published, for `--allocations`: ordo-one/malloc-interposer, linked only with the package trait
/// `Allocations` (it replaces `malloc` for the whole process, so the timed runs never have it).
///
///     swift run -c release --package-path Benchmarks --scratch-path Benchmarks/.build-allocations \
///         --traits Allocations eventbus-bench --allocations
final class AllocationCounter: Sendable {
    /// What the last measured section allocated, and over how many events.
    private let last = Mutex<(mallocs: Int, bytes: Int, events: Int)?>(nil)

    /// Whether this build can count (it was built with the trait `Allocations`).
    static var isAvailable: Bool {
        #if Allocations
            true
        #else
            false
        #endif
    }

    /// Makes sure the interposer replaces `malloc`: linked, it usually does; otherwise the
    /// process runs itself again with it preloaded. Returns a reason when it cannot count.
    static func prepare() -> String? {
        #if Allocations
            MallocInterposerSwift.initialize()
            MallocInterposerSwift.reset()
            MallocInterposerSwift.hook()
            let probe = UnsafeMutableRawPointer.allocate(byteCount: 24, alignment: 8)
            probe.deallocate()
            MallocInterposerSwift.unhook()
            if MallocInterposerSwift.getStatistics().mallocCount > 0 { return nil }
            let environment = ProcessInfo.processInfo.environment
            guard environment["EVENTBUS_BENCH_PRELOADED"] == nil else {
                return "the malloc interposer counted nothing, even preloaded"
            }
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            let library = executable.deletingLastPathComponent().appendingPathComponent("libMallocInterposerSwift.so")
                .path
            setenv("LD_PRELOAD", library, 1)
            setenv("EVENTBUS_BENCH_PRELOADED", "1", 1)
            let arguments = [executable.path] + CommandLine.arguments.dropFirst()
            var pointers = arguments.map { strdup($0) } + [nil]
            execv(executable.path, &pointers)
            return "could not run again with \(library) preloaded (errno \(errno))"
        #else
            return "this build has no allocation counter: build with the trait Allocations "
                + "(swift run -c release --package-path Benchmarks --scratch-path Benchmarks/.build-allocations "
                + "--traits Allocations eventbus-bench --allocations)"
        #endif
    }

    /// Starts counting (the timed section of a row begins).
    func start() {
        #if Allocations
            MallocInterposerSwift.reset()
            MallocInterposerSwift.hook()
        #endif
    }

    /// Stops counting and keeps the figures for `events` events.
    func stop(events: Int) {
        #if Allocations
            MallocInterposerSwift.unhook()
            let statistics = MallocInterposerSwift.getStatistics()
            last.withLock { $0 = (statistics.mallocCount, statistics.mallocBytesCount, events) }
        #endif
    }

    /// The last section's allocations and bytes per event, and forgets them.
    func take() -> (perEvent: Double, bytesPerEvent: Double)? {
        last.withLock { last in
            defer { last = nil }
            guard let counted = last, counted.events > 0 else { return nil }
            return (Double(counted.mallocs) / Double(counted.events), Double(counted.bytes) / Double(counted.events))
        }
    }
}

/// The CPU time of the process (every thread) over each timed section: beside the wall-clock
/// time, a figure that a machine busy with other work moves much less (it still counts spinning).
final class CPUTimer: Sendable {
    private let started = Mutex<Double>(0)
    private let last = Mutex<Double?>(nil)

    /// The process's CPU time, in nanoseconds.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1e9 + Double(time.tv_nsec)
    }

    func start() { started.withLock { $0 = Self.now() } }

    func stop(events: Int) {
        let elapsed = Self.now() - started.withLock { $0 }
        last.withLock { $0 = elapsed / Double(max(1, events)) }
    }

    /// The last section's CPU nanoseconds per event, and forgets it.
    func take() -> Double? {
        last.withLock { last in
            defer { last = nil }
            return last
        }
    }
}
