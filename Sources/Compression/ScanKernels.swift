/// First-pass kernels: signal energy, zero and non-finite counts, and per-group ranges. Vectorised for
/// finite data; chunks that hold NaN or ±Inf take the scalar paths, which leave those values out.

@usableFromInline typealias F8 = SIMD8<Float>
@usableFromInline typealias D4 = SIMD4<Double>

@inline(__always) func load8(_ p: UnsafePointer<Float>, _ i: Int) -> F8 {
    UnsafeRawPointer(p + i).loadUnaligned(as: F8.self)
}

/// Lane-wise min/max written as selects, which compile to minps/maxpd: the generic `pointwiseMin` is an
/// out-of-line call per vector here. Finite data only (NaN goes either way).
@inline(__always) func vmin(_ a: F8, _ b: F8) -> F8 {
    F8(a[0] < b[0] ? a[0] : b[0], a[1] < b[1] ? a[1] : b[1], a[2] < b[2] ? a[2] : b[2], a[3] < b[3] ? a[3] : b[3],
       a[4] < b[4] ? a[4] : b[4], a[5] < b[5] ? a[5] : b[5], a[6] < b[6] ? a[6] : b[6], a[7] < b[7] ? a[7] : b[7])
}
@inline(__always) func vmax(_ a: F8, _ b: F8) -> F8 {
    F8(a[0] > b[0] ? a[0] : b[0], a[1] > b[1] ? a[1] : b[1], a[2] > b[2] ? a[2] : b[2], a[3] > b[3] ? a[3] : b[3],
       a[4] > b[4] ? a[4] : b[4], a[5] > b[5] ? a[5] : b[5], a[6] > b[6] ? a[6] : b[6], a[7] > b[7] ? a[7] : b[7])
}
@inline(__always) func vmin(_ a: D4, _ b: D4) -> D4 {
    D4(a[0] < b[0] ? a[0] : b[0], a[1] < b[1] ? a[1] : b[1], a[2] < b[2] ? a[2] : b[2], a[3] < b[3] ? a[3] : b[3])
}
@inline(__always) func vmax(_ a: D4, _ b: D4) -> D4 {
    D4(a[0] > b[0] ? a[0] : b[0], a[1] > b[1] ? a[1] : b[1], a[2] > b[2] ? a[2] : b[2], a[3] > b[3] ? a[3] : b[3])
}

@inline(__always) func isFinite(_ x: Float) -> Bool { x.bitPattern & 0x7F80_0000 != 0x7F80_0000 }

struct BasicScan: Sendable {
    var signal: Double = 0
    var zeros = 0
    var nonFinite = 0
}

enum ScanKernels {
    /// Σx² (in float64), exact zeros and non-finite values of p[0..<n].
    static func basic(_ p: UnsafePointer<Float>, _ n: Int) -> BasicScan {
        var s0 = D4(), s1 = D4()
        var zeroLanes = SIMD8<Int32>()
        var badLanes = SIMD8<Int32>()
        let expMask = SIMD8<UInt32>(repeating: 0x7F80_0000)
        var i = 0
        while i + 8 <= n {
            let x = load8(p, i)
            let lo = D4(x.lowHalf), hi = D4(x.highHalf)
            s0 += lo * lo
            s1 += hi * hi
            zeroLanes &-= unsafeBitCast(x .== F8(), to: SIMD8<Int32>.self)  // vector operand: no lane loop
            let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
            badLanes &-= unsafeBitCast((bits & expMask) .== expMask, to: SIMD8<Int32>.self)
            i += 8
        }
        var r = BasicScan()
        r.zeros = Int(zeroLanes.wrappedSum())
        r.nonFinite = Int(badLanes.wrappedSum())
        if r.nonFinite > 0 {
            // Σx² would be NaN or Inf: recount the whole chunk, leaving non-finite values out.
            return basicChecked(p, n)
        }
        var tail = 0.0
        while i < n {
            let x = p[i]
            guard isFinite(x) else { return basicChecked(p, n) }
            if x == 0 { r.zeros += 1 }
            tail += Double(x) * Double(x)
            i += 1
        }
        r.signal = (s0 + s1).sum() + tail
        return r
    }

    static func basicChecked(_ p: UnsafePointer<Float>, _ n: Int) -> BasicScan {
        var r = BasicScan()
        for i in 0..<n {
            let x = p[i]
            if !isFinite(x) { r.nonFinite += 1; continue }
            if x == 0 { r.zeros += 1 }
            r.signal += Double(x) * Double(x)
        }
        return r
    }

    /// Min and max of a run (finite data).
    @inline(__always)
    static func minMax(_ p: UnsafePointer<Float>, _ n: Int) -> (Float, Float) {
        var mn = Float.infinity, mx = -Float.infinity
        var i = 0
        if n >= 8 {
            var vmn = F8(repeating: .infinity), vmx = F8(repeating: -.infinity)
            while i + 8 <= n {
                let x = load8(p, i)
                vmn = vmin(vmn, x)
                vmx = vmax(vmx, x)
                i += 8
            }
            mn = vmn.min()
            mx = vmx.max()
        }
        while i < n {
            mn = Swift.min(mn, p[i])
            mx = Swift.max(mx, p[i])
            i += 1
        }
        return (mn, mx)
    }

    /// mins[j] = min(mins[j], p[j]), maxs likewise, for j < n (finite data).
    @inline(__always)
    static func minMaxInto(_ p: UnsafePointer<Float>, _ n: Int, _ mins: UnsafeMutablePointer<Float>,
                           _ maxs: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= n {
            let x = load8(p, i)
            let rmn = UnsafeMutableRawPointer(mins + i), rmx = UnsafeMutableRawPointer(maxs + i)
            rmn.storeBytes(of: vmin(rmn.loadUnaligned(as: F8.self), x), as: F8.self)
            rmx.storeBytes(of: vmax(rmx.loadUnaligned(as: F8.self), x), as: F8.self)
            i += 8
        }
        while i < n {
            mins[i] = Swift.min(mins[i], p[i])
            maxs[i] = Swift.max(maxs[i], p[i])
            i += 1
        }
    }

    /// Per-group min/max over elements [lo, hi) whose values start at p (p[0] is element lo).
    /// `base` is subtracted from group ids (chunk-local accumulators start at the chunk's first group).
    static func groupRanges(_ p: UnsafePointer<Float>, lo: Int, hi: Int, layout: GroupLayout, checked: Bool,
                            mins: UnsafeMutablePointer<Float>, maxs: UnsafeMutablePointer<Float>, base: Int = 0) {
        if checked {
            layout.forEachRun(lo, hi) { s, e, g in
                for j in 0..<(e - s) {
                    let x = p[s - lo + j]
                    guard isFinite(x) else { continue }
                    let gj = (layout.isElementwise ? g + j : g) - base
                    mins[gj] = Swift.min(mins[gj], x)
                    maxs[gj] = Swift.max(maxs[gj], x)
                }
            }
        } else if layout.isElementwise {
            layout.forEachRun(lo, hi) { s, e, g in
                minMaxInto(p + (s - lo), e - s, mins + (g - base), maxs + (g - base))
            }
        } else {
            layout.forEachRun(lo, hi) { s, e, g in
                let (mn, mx) = minMax(p + (s - lo), e - s)
                mins[g - base] = Swift.min(mins[g - base], mn)
                maxs[g - base] = Swift.max(maxs[g - base], mx)
            }
        }
    }
}
