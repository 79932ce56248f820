/// Conversions that cannot trap. `Int(someDouble)` traps on NaN, ±infinity and values past Int's range;
/// a figure computed from a model file or a client message can be any of those, so every such conversion
/// on the engine's paths goes through these (a test in SourceRulesTests keeps it so).
extension FixedWidthInteger {
    /// The nearest representable value: NaN is 0, values past the range clamp to its ends. Truncates toward
    /// zero like `Int(_:)`; round first when rounding is wanted.
    @inlinable
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value <= Double(Self.min) {
            self = Self.min
        } else if value >= Double(Self.max) {
            self = Self.max
        } else {
            self = Self(value)
        }
    }

    @inlinable
    public init(saturating value: Float) { self.init(saturating: Double(value)) }

    /// `value` rounded to the nearest integer, ties away from zero, saturating.
    @inlinable
    public init(roundingSaturating value: Double) { self.init(saturating: value.rounded()) }
}
