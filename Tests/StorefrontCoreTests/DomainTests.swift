import Foundation
import Testing

@testable import StorefrontCore

@Suite struct MoneyTests {
    @Test func arithmeticStaysInIntegerMinorUnits() {
        let price = Money(amount: 12_999, currency: .usd)
        #expect(price.times(3) == Money(amount: 38_997, currency: .usd))
        #expect(price.plus(price) == Money(amount: 25_998, currency: .usd))
    }

    @Test func mixedCurrenciesAndOverflowAreRefused() {
        let dollars = Money(amount: 100, currency: .usd)
        let euros = Money(amount: 100, currency: Currency("EUR")!)
        #expect(dollars.plus(euros) == nil)
        #expect(Money(amount: .max, currency: .usd).times(2) == nil)
        #expect(Money(amount: .max, currency: .usd).plus(dollars) == nil)
    }

    @Test(arguments: ["usd", "US", "USDT", "U$D", ""])
    func currencyCodesAreThreeUppercaseLetters(code: String) {
        #expect(Currency(code) == nil)
    }

    @Test func moneyEncodesAsAmountAndCurrency() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(Money(amount: 12_999, currency: .usd)), as: UTF8.self)
        #expect(json == #"{"amount":12999,"currency":"USD"}"#)
    }
}

@Suite struct RegionTests {
    @Test(arguments: ["us-east", "eu-west", "ap-southeast-2", "a"])
    func sensibleNamesAreAccepted(name: String) throws {
        #expect(try Region(name).name == name)
    }

    @Test(arguments: ["", "US-East", "us_east", "-us", "us-", "us--east", "us east", "x'; drop table", String(repeating: "a", count: 33)])
    func otherNamesAreRejected(name: String) {
        #expect(throws: StorefrontError.self) { try Region(name) }
    }
}

@Suite struct CatalogGeneratorTests {
    let generator = CatalogGenerator()

    @Test func theSameIndexAlwaysMakesTheSameProduct() {
        #expect(generator.product(17) == generator.product(17))
        #expect(generator.product(17) == CatalogGenerator().product(17))
        #expect(generator.product(17).id != generator.product(18).id)
    }

    @Test func productsLookLikeAShoeCatalog() {
        let products = (0..<500).map(generator.product)
        #expect(Set(products.map(\.category.slug)) == Set(CatalogGenerator.categories.map(\.slug)))
        #expect(Set(products.map(\.brand.slug)).count == CatalogGenerator.brands.count)
        #expect(Set(products.map(\.gender)) == Set(Gender.allCases))
        for product in products {
            #expect(product.variants.count >= 8)
            #expect(product.variants.allSatisfy { $0.price.amount % 100 == 99 && $0.price.currency == .usd })
            #expect(product.variants.allSatisfy { $0.usSize < $0.euSize })
            #expect(!product.imageURLs.isEmpty)
        }
        let skus = products.flatMap { $0.variants.map(\.sku) }
        #expect(Set(skus).count == skus.count)
    }

    @Test func newerIndexesAreOlderProducts() {
        #expect(generator.product(0).createdAt > generator.product(1).createdAt)
    }

    @Test func stockIsDeterministicPerRegionAndSometimesZero() throws {
        let east = try Region("us-east")
        let skus = (0..<50).flatMap { generator.product($0).variants.map(\.sku) }
        let stock = skus.map { generator.initialStock(sku: $0, region: east) }
        #expect(stock == skus.map { generator.initialStock(sku: $0, region: east) })
        #expect(stock.contains(0))
        #expect(stock.allSatisfy { (0...40).contains($0) })
        let west = try Region("eu-west")
        #expect(stock != skus.map { generator.initialStock(sku: $0, region: west) })
    }
}
