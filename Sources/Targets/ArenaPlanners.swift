/// A buffer to place in an arena: its size in bytes and the steps it is live, both ends included.
public struct ArenaBuffer: Sendable, Hashable {
    public var size: Int
    public var first: Int
    public var last: Int

    public init(size: Int, first: Int, last: Int) {
        self.size = size
        self.first = first
        self.last = last
    }

    func overlaps(_ o: ArenaBuffer) -> Bool { !(o.first > last || first > o.last) }
}

/// Where each buffer went and the arena's size (the highest end of any buffer).
public struct ArenaPlan: Sendable, Hashable {
    public var offsets: [Int]
    public var size: Int
}

/// The two planners the TFLite runtimes use, followed step by step so that the arena they report is the one
/// computed here (not a sum of live tensors, which ignores fragmentation and alignment).
public enum ArenaPlanners {
    /// TFLite Micro's `GreedyMemoryPlanner` (tensorflow/lite/micro/memory_planner/greedy_memory_planner.cc):
    /// buffers in decreasing size (a stable sort: equal sizes keep their order), each placed in the first gap,
    /// in offset order, between buffers live at the same time that is large enough, else after the last of
    /// them. Sizes are taken as given (the caller aligns them, 16 bytes in TFLite Micro).
    public static func greedy(_ buffers: [ArenaBuffer]) -> ArenaPlan {
        guard !buffers.isEmpty else { return ArenaPlan(offsets: [], size: 0) }
        let order = buffers.indices.sorted { a, b in
            buffers[a].size != buffers[b].size ? buffers[a].size > buffers[b].size : a < b
        }
        var offsets = [Int](repeating: 0, count: buffers.count)
        // Placed buffers by offset (ties: in placement order), as the planner's linked list keeps them.
        var placed: [Int] = []
        placed.reserveCapacity(buffers.count)
        var size = 0
        for id in order {
            let want = buffers[id]
            var candidate = 0
            var prior: Int?
            for p in placed where buffers[p].overlaps(want) {
                if let prior { candidate = max(candidate, offsets[prior] &+ buffers[prior].size) }
                if offsets[p] &- candidate >= want.size { prior = nil; break }
                prior = p
            }
            if let prior { candidate = max(candidate, offsets[prior] &+ buffers[prior].size) }
            offsets[id] = candidate
            // After every entry whose offset is not above the candidate's (the planner's insertion rule).
            var at = placed.count
            var lo = 0, hi = placed.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if offsets[placed[mid]] > candidate { hi = mid } else { lo = mid + 1 }
            }
            at = lo
            placed.insert(id, at: at)
            size = max(size, candidate &+ want.size)
        }
        return ArenaPlan(offsets: offsets, size: size)
    }

    /// LiteRT's `ArenaPlanner` over a `SimpleMemoryArena` (tensorflow/lite/arena_planner.cc,
    /// simple_memory_arena.cc): buffers that live for the whole run first (in index order), then the others
    /// in decreasing size (equal sizes by first step); each takes the smallest gap between buffers live at the
    /// same time that fits it at `alignment`, else the aligned end of them.
    public static func bestFit(_ buffers: [ArenaBuffer], alignment: Int, wholeRun: (Int) -> Bool) -> ArenaPlan {
        let align = max(alignment, 1)
        func aligned(_ x: Int) -> Int { (x &+ align &- 1) / align &* align }
        let order = buffers.indices.sorted { a, b in
            let wa = wholeRun(a), wb = wholeRun(b)
            if wa || wb { return wa && wb ? a < b : wa }
            if buffers[a].size != buffers[b].size { return buffers[a].size > buffers[b].size }
            if buffers[a].first != buffers[b].first { return buffers[a].first < buffers[b].first }
            return a < b
        }
        var offsets = [Int](repeating: 0, count: buffers.count)
        var active: [Int] = []  // by offset, as the arena's sorted list
        var size = 0
        for id in order {
            let want = buffers[id]
            guard want.size > 0 else { continue }
            var best: Int?
            var bestFit = Int.max
            var current = 0
            for p in active where buffers[p].overlaps(want) {
                let start = aligned(current)
                if start &+ want.size <= offsets[p] && offsets[p] &- start < bestFit {
                    best = start
                    bestFit = offsets[p] &- current
                }
                current = max(current, offsets[p] &+ buffers[p].size)
                if bestFit == 0 { break }
            }
            let offset = best ?? aligned(current)
            offsets[id] = offset
            size = max(size, offset &+ want.size)
            var lo = 0, hi = active.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if offsets[active[mid]] > offset { hi = mid } else { lo = mid + 1 }
            }
            active.insert(id, at: lo)
        }
        return ArenaPlan(offsets: offsets, size: size)
    }
}
