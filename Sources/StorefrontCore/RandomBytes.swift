/// `count` bytes from the system's secure generator, eight at a time: a byte at a time asked the kernel
/// once per byte (`getrandom`), which showed in the profile of every cart and checkout.
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 7)
    while bytes.count < count {
        withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
    }
    return Array(bytes.prefix(count))
}
