import CommandLineSupport
import Shop
import Testing

@Suite struct ShopOptionsTests {
    @Test func defaultsAndFlags() throws {
        #expect(try ShopOptions(arguments: []) == ShopOptions())
        let options = try ShopOptions(arguments: ["--hostname", "0.0.0.0", "--port", "9000", "--data", "/srv/shop"])
        #expect(options.hostname == "0.0.0.0")
        #expect(options.port == 9000)
        #expect(options.data == "/srv/shop")
    }

    @Test func aBadFlagOrPortIsAClearError() {
        #expect(throws: ArgumentError.self) { try ShopOptions(arguments: ["--colour"]) }
        #expect(
            throws: ArgumentError.invalidValue("--port", value: "eighty", expected: "a whole number from 0 to 65535")
        ) {
            try ShopOptions(arguments: ["--port", "eighty"])
        }
        #expect(throws: ArgumentError.helpRequested(ShopOptions.spec.help)) { try ShopOptions(arguments: ["--help"]) }
    }
}
