import StorefrontCore
import Testing

@testable import StorefrontLoad

@Suite struct ArrivalProfileTests {
    @Test func aHoldArrivesEvenlyAtItsRate() throws {
        let arrivals = Array(try ArrivalProfile("hold:100/2s").arrivals())
        #expect(arrivals.count == 200)
        #expect(abs((arrivals.first! - .milliseconds(10)).seconds) < 1e-9)
        #expect(abs((arrivals.last! - .seconds(2)).seconds) < 1e-9)
        let gaps = zip(arrivals.dropFirst(), arrivals).map { ($0 - $1).seconds }
        #expect(gaps.allSatisfy { abs($0 - 0.01) < 1e-9 })
    }

    /// A ramp from 0 to 100 per second over 2 s brings the area under it, 100 journeys, ever closer together.
    @Test func aRampArrivesFasterAndFaster() throws {
        let arrivals = Array(try ArrivalProfile("ramp:0-100/2s").arrivals())
        #expect(arrivals.count == 100)
        let gaps = zip(arrivals.dropFirst(), arrivals).map { ($0 - $1).seconds }
        #expect(zip(gaps.dropFirst(), gaps).allSatisfy { $0 <= $1 + 1e-9 })
        // The ramp's second half brings three quarters of them.
        #expect(arrivals.filter { $0 > .seconds(1) }.count == 75)
    }

    @Test func segmentsFollowEachOtherAndASpikeMultipliesTheRateBeforeIt() throws {
        let profile = try ArrivalProfile("ramp:0-20/1s,hold:20/1s,spike:5x/1s,hold:0/1s,constant:10/1s")
        #expect(profile.segments.map(\.to) == [20, 20, 100, 0, 10])
        #expect(profile.duration == .seconds(5))
        let arrivals = Array(profile.arrivals())
        func count(_ from: Int, _ to: Int) -> Int { arrivals.filter { $0 > .seconds(from) && $0 <= .seconds(to) }.count }
        #expect(count(0, 1) == 10)
        #expect(count(1, 2) == 20)
        #expect(count(2, 3) == 100)
        #expect(count(3, 4) == 0)
        #expect(count(4, 5) == 10)
        #expect(arrivals.count == 140)
        #expect(profile.rate(at: .milliseconds(500)) == 10)
        #expect(profile.rate(at: .milliseconds(2500)) == 100)
        #expect(profile.rate(at: .seconds(9)) == 0)
    }

    @Test(arguments: [
        "", "hold", "hold:100", "hold:100/", "hold:-5/1s", "hold:abc/1s", "hold:100/0s", "hold:100/10h", "ramp:100/1s",
        "ramp:a-b/1s", "spike:2x/1s", "sprint:100/1s", "hold:0/5s", "hold:1e9/1s", "hold:nan/1s",
    ])
    func aBadProfileIsRefusedWithAReason(_ text: String) {
        #expect(throws: LoadError.self) { try ArrivalProfile(text) }
    }

    @Test func durationsTakeMillisecondsSecondsAndMinutes() {
        #expect(parseDuration("250ms") == .milliseconds(250))
        #expect(parseDuration("1.5s") == .milliseconds(1500))
        #expect(parseDuration("2m") == .seconds(120))
        #expect(parseDuration("10") == nil)
        #expect(parseDuration("-1s") == nil)
    }
}

@Suite struct MixTests {
    @Test func journeysAreDrawnInProportionToTheirWeights() throws {
        let mix = try JourneyMix("browse=60,cart=25,checkout=10,orders=5")
        var random = SplitMix64(seed: 7)
        var counts: [JourneyMix.Journey: Int] = [:]
        for _ in 0..<100_000 { counts[mix.journey(at: random.nextDouble()), default: 0] += 1 }
        #expect(abs(counts[.browse]! - 60_000) < 1_000)
        #expect(abs(counts[.cart]! - 25_000) < 1_000)
        #expect(abs(counts[.checkout]! - 10_000) < 1_000)
        #expect(abs(counts[.orders]! - 5_000) < 1_000)
        #expect(mix.journey(at: 0) == .browse)
        #expect(mix.journey(at: 0.9999999) == .orders)
    }

    @Test(arguments: ["", "browse=0", "surf=10", "browse=-1", "browse=x", "browse=1,browse=2"])
    func aBadMixIsRefused(_ text: String) {
        #expect(throws: LoadError.self) { try JourneyMix(text) }
    }

    @Test func geographiesTakeWeights() throws {
        let geo = try GeoMix("us=3,DE")
        #expect(geo.codes.map(\.code) == ["US", "DE"])
        #expect(geo.code(at: 0.7) == "US")
        #expect(geo.code(at: 0.8) == "DE")
        #expect(throws: LoadError.self) { try GeoMix("U") }
        #expect(throws: LoadError.self) { try GeoMix("US=0") }
        #expect(throws: LoadError.self) { try GeoMix("U1") }
    }
}
