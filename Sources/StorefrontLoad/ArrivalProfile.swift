import Foundation
import StorefrontCore

/// How fast journeys arrive in an open model: a sequence of segments, each a constant rate, a linear ramp or
/// a spike, given as `ramp:0-2000/30s,hold:2000/60s,spike:10x/20s` (rates in journeys per second).
public struct ArrivalProfile: Sendable, Equatable, CustomStringConvertible {
    public struct Segment: Sendable, Equatable {
        /// Journeys per second at the segment's start and end; equal for a constant rate.
        public var from: Double
        public var to: Double
        public var duration: Duration

        /// Journeys that arrive in the segment (not a whole number in general).
        var arrivals: Double { (from + to) / 2 * duration.seconds }
    }

    public var segments: [Segment]
    public let text: String

    public var duration: Duration { segments.reduce(.zero) { $0 + $1.duration } }
    public var description: String { text }

    /// Parses the profile. `hold:R/D` (or `constant:R/D`) holds R; `ramp:A-B/D` goes from A to B; `spike:Kx/D`
    /// multiplies the previous segment's final rate by K, and `spike:R/D` jumps to R, for D. Durations take
    /// `ms`, `s` or `m`.
    public init(_ text: String) throws(LoadError) {
        self.text = text
        var segments: [Segment] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let pieces = part.split(separator: ":", maxSplits: 1).map(String.init)
            let slash = pieces.count == 2 ? pieces[1].split(separator: "/", maxSplits: 1).map(String.init) : []
            guard pieces.count == 2, slash.count == 2, let duration = parseDuration(slash[1]), duration > .zero else {
                throw .invalid("profile segment '\(part)' is not KIND:RATE/DURATION, as hold:500/30s")
            }
            let rate = slash[0]
            switch pieces[0] {
            case "hold", "constant":
                let value = try Self.rate(rate, in: part)
                segments.append(Segment(from: value, to: value, duration: duration))
            case "ramp":
                let ends = rate.split(separator: "-", maxSplits: 1).map(String.init)
                guard ends.count == 2 else { throw .invalid("ramp '\(part)' needs FROM-TO, as ramp:0-2000/30s") }
                segments.append(Segment(from: try Self.rate(ends[0], in: part), to: try Self.rate(ends[1], in: part), duration: duration))
            case "spike":
                let value: Double
                if rate.hasSuffix("x") {
                    guard let factor = Double(rate.dropLast()), factor.isFinite, factor > 0, let previous = segments.last?.to else {
                        throw .invalid("spike '\(part)' multiplies the rate before it: it needs a positive factor and a segment before it")
                    }
                    value = previous * factor
                } else {
                    value = try Self.rate(rate, in: part)
                }
                segments.append(Segment(from: value, to: value, duration: duration))
            default:
                throw .invalid("profile segment '\(part)': KIND is hold, constant, ramp or spike")
            }
        }
        guard !segments.isEmpty else { throw .invalid("the profile is empty") }
        guard segments.contains(where: { $0.arrivals > 0 }) else { throw .invalid("the profile brings no journey at all") }
        self.segments = segments
    }

    private static func rate(_ text: String, in part: String) throws(LoadError) -> Double {
        guard let value = Double(text), value.isFinite, value >= 0, value <= 1_000_000 else {
            throw .invalid("'\(text)' in '\(part)' is not a rate of 0 to 1000000 journeys per second")
        }
        return value
    }

    /// The rate at `offset` from the start; zero after the end.
    public func rate(at offset: Duration) -> Double {
        var start = Duration.zero
        for segment in segments {
            if offset < start + segment.duration {
                let fraction = (offset - start).seconds / segment.duration.seconds
                return segment.from + (segment.to - segment.from) * fraction
            }
            start += segment.duration
        }
        return 0
    }

    /// The journeys' arrival times, evenly paced: the k-th journey arrives when the integral of the rate
    /// reaches k. Lazily, as a run of an hour at 10,000 per second has 36 million of them.
    public func arrivals() -> Arrivals { Arrivals(segments: segments) }

    public struct Arrivals: Sequence, IteratorProtocol, Sendable {
        let segments: [Segment]
        private var index = 0
        /// The segment's start, and how many journeys arrived before it (fractional).
        private var segmentStart = 0.0
        private var before = 0.0
        private var wanted = 1.0

        init(segments: [Segment]) { self.segments = segments }

        /// The next arrival's offset from the start.
        public mutating func next() -> Duration? {
            while index < segments.count {
                let segment = segments[index]
                let needed = wanted - before
                if let offset = Self.time(toReach: needed, in: segment) {
                    wanted += 1
                    return .seconds(segmentStart + offset)
                }
                before += segment.arrivals
                segmentStart += segment.duration.seconds
                index += 1
            }
            return nil
        }

        /// Seconds into `segment` at which `count` journeys have arrived, if within it. With the rate
        /// r(t) = a + (b - a) t / d, the count is a t + (b - a) t² / 2d.
        static func time(toReach count: Double, in segment: Segment) -> Double? {
            let a = segment.from
            let b = segment.to
            let d = segment.duration.seconds
            guard count <= segment.arrivals else { return nil }
            if abs(b - a) < 1e-12 { return a > 0 ? count / a : nil }
            let slope = (b - a) / d
            let t = (-a + (a * a + 2 * slope * count).squareRoot()) / slope
            return Swift.min(Swift.max(t, 0), d)
        }
    }
}

/// `500ms`, `30s`, `2m`.
public func parseDuration(_ text: String) -> Duration? {
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60)]
    for (unit, seconds) in units where text.hasSuffix(unit) {
        guard let value = Double(text.dropLast(unit.count)), value.isFinite, value >= 0 else { return nil }
        return .milliseconds(Int64((value * seconds * 1000).rounded()))
    }
    return nil
}

public enum LoadError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    case setup(String)

    public var description: String {
        switch self {
        case .invalid(let message): message
        case .setup(let message): "could not prepare the run: \(message)"
        }
    }
}
