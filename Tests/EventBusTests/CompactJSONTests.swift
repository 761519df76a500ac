import EventBusTestSupport
import EventLog
import EventQueue
import Foundation
import Testing

@testable import EventBus

/// The streaming JSON writer of the default ``JSONEventCodec``: whatever it writes must decode as
/// `JSONEncoder`'s output does, and whatever it cannot stream must fall back, not go wrong.
@Suite struct CompactJSONTests {
    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case polygon(points: [[Int]], label: String?)
        case empty
    }

    enum Colour: String, Codable { case red, green }

    struct Inner: Codable, Equatable {
        var name: String
        var tags: [String]
        var score: Double?
    }

    struct Everything: Codable, Equatable, Event {
        var text = "quote \" backslash \\ slash / newline \n tab \t nul \u{0} bell \u{7} unit \u{1F} é ✓ 👩‍👩‍👧"
        var empty = ""
        var int = Int.min
        var int8 = Int8.min
        var int16 = Int16.max
        var int32 = Int32.min
        var int64 = Int64.max
        var uint = UInt.max
        var uint8 = UInt8.max
        var uint16 = UInt16.max
        var uint32 = UInt32.max
        var uint64 = UInt64.max
        var zero = 0
        var doubles = [0.1, -0.0, 1e300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -1.5, 3]
        var float: Float = 0.1
        var yes = true
        var no = false
        var missing: Int? = nil
        var present: Int? = 7
        var date = Date(timeIntervalSinceReferenceDate: 123_456.789)
        var data = Data([0, 1, 2, 250, 255])
        var url = URL(string: "https://example.com/a?b=c&d=%20")!
        var decimal = Decimal(string: "12345.678901234567890")!
        var uuid = UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!
        var colour = Colour.green
        var shapes: [Shape] = [.circle(radius: 2), .polygon(points: [[1, 2], [3, 4], []], label: nil), .empty]
        var byName = ["a": 1, "b\"": 2]
        var byNumber = [1: "one", 2: "two"]
        var nested = [Inner(name: "x", tags: [], score: nil), Inner(name: "y", tags: ["p", "q"], score: 0.5)]
        var optionals: [Int?] = [1, nil, 3]
        var matrix: [[Double]] = [[], [1.25], [2, 3]]
    }

    /// The value `JSONSerialization` reads from some JSON, for comparing two encodings as data.
    func parsed(_ bytes: [UInt8]) throws -> NSObject {
        try #require(JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? NSObject)
    }

    func compact<T: Encodable>(_ value: T) throws -> [UInt8] {
        var bytes: [UInt8] = []
        #expect(CompactJSON.encode(value, into: &bytes), "\(T.self) was not streamed")
        return bytes
    }

    @Test func everyKindOfValueDecodesAsJSONEncodersOutputDoes() throws {
        let value = Everything()
        let bytes = try compact(value)
        #expect(try JSONDecoder().decode(Everything.self, from: Data(bytes)) == value)
        #expect(try parsed(bytes) == parsed(Array(JSONEncoder().encode(value))))
    }

    @Test func topLevelScalarsAndCollectionsAreWritten() throws {
        #expect(try compact(42) == Array("42".utf8))
        #expect(try compact("a\"b") == Array(#""a\"b""#.utf8))
        #expect(try compact([true, false]) == Array("[true,false]".utf8))
        #expect(try compact([String: Int]()) == Array("{}".utf8))
        #expect(try compact(Optional<Int>.none) == Array("null".utf8))
    }

    @Test func theCodecAppendsAfterWhatIsThere() throws {
        var bytes: [UInt8] = [1, 2, 3]
        try JSONEventCodec<Everything>().encode(Everything(), into: &bytes)
        #expect(bytes.prefix(3) == [1, 2, 3])
        #expect(try JSONDecoder().decode(Everything.self, from: Data(bytes.dropFirst(3))) == Everything())
    }

    /// Every kind of nested container, each written before its parent moves on.
    struct Nesting: Encodable {
        enum Keys: String, CodingKey { case list, object, last }

        func encode(to encoder: any Encoder) throws {
            var top = encoder.container(keyedBy: Keys.self)
            var list = top.nestedUnkeyedContainer(forKey: .list)
            try list.encode(1)
            var inList = list.nestedContainer(keyedBy: Keys.self)
            try inList.encode("a", forKey: .last)
            var listInList = list.nestedUnkeyedContainer()
            try listInList.encode(true)
            try listInList.encodeNil()
            try list.encode(2)
            var object = top.nestedContainer(keyedBy: Keys.self, forKey: .object)
            var deeper = object.nestedContainer(keyedBy: Keys.self, forKey: .object)
            try deeper.encode(0.5, forKey: .last)
            try object.encode(UInt8(7), forKey: .last)
            try top.encode([Int8(-1)], forKey: .last)
        }
    }

    @Test func nestedContainersOfEveryKindAreWrittenInPlace() throws {
        let bytes = try compact(Nesting())
        #expect(
            bytes
                == Array(
                    #"{"list":[1,{"last":"a"},[true,null],2],"object":{"object":{"last":0.5},"last":7},"last":[-1]}"#
                        .utf8
                )
        )
        #expect(try parsed(bytes) == parsed(Array(JSONEncoder().encode(Nesting()))))
    }

    // MARK: What cannot be streamed falls back

    class Base: Codable {
        var base = 1
    }

    final class Derived: Base {
        var derived = 2
        enum CodingKeys: String, CodingKey { case derived }

        override init() {
            super.init()
        }

        required init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            derived = try container.decode(Int.self, forKey: .derived)
            try super.init(from: container.superDecoder())
        }

        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(derived, forKey: .derived)
            try super.encode(to: container.superEncoder())
        }
    }

    /// Writes into a nested container after writing to its parent again.
    struct OutOfOrder: Encodable {
        enum Keys: String, CodingKey { case inner, after, late }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            var inner = container.nestedContainer(keyedBy: Keys.self, forKey: .inner)
            try container.encode(1, forKey: .after)
            try inner.encode(2, forKey: .late)
        }
    }

    struct Nothing: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    struct Infinite: Encodable {
        let value = Double.infinity
    }

    struct Wide: Codable, Equatable, Event {
        var big = Int128.max
        var small = UInt128(7)
    }

    /// 128-bit integers have no overload of their own in a container: the standard library's
    /// default throws, the writer gives up, and `JSONEncoder` writes them.
    @Test func wideIntegersFallBackToJSONEncoder() throws {
        var bytes: [UInt8] = []
        #expect(!CompactJSON.encode(Wide(), into: &bytes))
        let codec = JSONEventCodec<Wide>()
        #expect(try codec.decode(codec.encode(Wide())) == Wide())
    }

    @Test func aSuperEncoderFallsBackToJSONEncoder() throws {
        var bytes: [UInt8] = [9]
        #expect(!CompactJSON.encode(Derived(), into: &bytes))
        #expect(bytes == [9])
        let object = try parsed(Array(JSONEncoder().encode(Derived())))
        #expect(object == ["derived": 2, "super": ["base": 1]] as NSDictionary)
    }

    @Test func aContainerWrittenOutOfOrderFallsBackAndKeepsItsValue() throws {
        var bytes: [UInt8] = []
        #expect(!CompactJSON.encode(OutOfOrder(), into: &bytes))
        #expect(bytes.isEmpty)
        // What JSONEncoder makes of it is what the codec stores.
        let expected = try parsed(Array(JSONEncoder().encode(OutOfOrder())))
        #expect(expected == ["inner": ["late": 2], "after": 1] as NSDictionary)
    }

    @Test func nestedValuesThatWriteNothingAreEmptyObjects() throws {
        let bytes = try compact([Nothing(), Nothing()])
        #expect(bytes == Array("[{},{}]".utf8))
        #expect(try parsed(bytes) == parsed(Array(JSONEncoder().encode([Nothing(), Nothing()]))))
        var top: [UInt8] = []
        #expect(!CompactJSON.encode(Nothing(), into: &top))  // JSONEncoder refuses this itself
        #expect(throws: EncodingError.self) { try JSONEncoder().encode(Nothing()) }
    }

    @Test func aNonFiniteNumberIsJSONEncodersError() throws {
        var bytes: [UInt8] = []
        #expect(!CompactJSON.encode(Infinite(), into: &bytes))
        #expect(bytes.isEmpty)
        #expect(throws: EncodingError.self) { try JSONEncoder().encode(Infinite()) }
    }

    // MARK: Random trees

    /// A JSON-shaped value encoded through every kind of container.
    indirect enum Tree: Codable, Equatable {
        case number(Int)
        case real(Double)
        case text(String)
        case flag(Bool)
        case null
        case list([Tree])
        case object([String: Tree])

        init(from decoder: any Decoder) throws {
            if var list = try? decoder.unkeyedContainer() {
                var elements: [Tree] = []
                while !list.isAtEnd { elements.append(try list.decode(Tree.self)) }
                self = .list(elements)
            } else if let object = try? decoder.container(keyedBy: AnyKey.self) {
                var members: [String: Tree] = [:]
                for key in object.allKeys { members[key.stringValue] = try object.decode(Tree.self, forKey: key) }
                self = .object(members)
            } else {
                let single = try decoder.singleValueContainer()
                if single.decodeNil() {
                    self = .null
                } else if let flag = try? single.decode(Bool.self) {
                    self = .flag(flag)
                } else if let number = try? single.decode(Int.self) {
                    self = .number(number)
                } else if let real = try? single.decode(Double.self) {
                    self = .real(real)
                } else {
                    self = .text(try single.decode(String.self))
                }
            }
        }

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .number(let value):
                var single = encoder.singleValueContainer()
                try single.encode(value)
            case .real(let value):
                var single = encoder.singleValueContainer()
                try single.encode(value)
            case .text(let value):
                var single = encoder.singleValueContainer()
                try single.encode(value)
            case .flag(let value):
                var single = encoder.singleValueContainer()
                try single.encode(value)
            case .null:
                var single = encoder.singleValueContainer()
                try single.encodeNil()
            case .list(let elements):
                var list = encoder.unkeyedContainer()
                for element in elements { try list.encode(element) }
            case .object(let members):
                var object = encoder.container(keyedBy: AnyKey.self)
                for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                    try object.encode(value, forKey: AnyKey(stringValue: key))
                }
            }
        }

        static func random(depth: Int, using random: inout SplitMix64) -> Tree {
            let kind = Int(random.next() % (depth > 0 ? 7 : 5))
            switch kind {
            case 0: return .number(Int(truncatingIfNeeded: random.next()) >> Int(random.next() % 64))
            case 1: return .real(Double(Int64(truncatingIfNeeded: random.next()) >> 20) + 0.25)  // never integral
            case 2: return .text(randomText(using: &random))
            case 3: return .flag(random.next() % 2 == 0)
            case 4: return .null
            case 5:
                return .list((0..<Int(random.next() % 5)).map { _ in Tree.random(depth: depth - 1, using: &random) })
            default:
                var members: [String: Tree] = [:]
                for _ in 0..<Int(random.next() % 5) {
                    members[randomText(using: &random)] = Tree.random(depth: depth - 1, using: &random)
                }
                return .object(members)
            }
        }

        static func randomText(using random: inout SplitMix64) -> String {
            let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\u{1}", "\u{1F}", "é", "✓", "🦀"]
            return String((0..<Int(random.next() % 8)).map { _ in alphabet[Int(random.next() % 13)] })
        }
    }

    struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    @Test func randomTreesRoundTripAndMatchJSONEncoder() throws {
        var random = SplitMix64(seed: 0x5EED)
        for round in 0..<500 {
            let tree = Tree.random(depth: 4, using: &random)
            let bytes = try compact(tree)
            #expect(try JSONDecoder().decode(Tree.self, from: Data(bytes)) == tree, "round \(round)")
            #expect(try parsed(bytes) == parsed(Array(JSONEncoder().encode(tree))), "round \(round)")
        }
    }

    /// Keeps the encoder it is given, as a misbehaving `encode(to:)` might.
    final class Keeper: @unchecked Sendable {  // @unchecked: used by one test's thread only
        var kept: (any Encoder)?
    }

    struct KeepsItsEncoder: Encodable {
        let keeper: Keeper
        let value: Int

        func encode(to encoder: any Encoder) throws {
            keeper.kept = encoder
            var container = encoder.container(keyedBy: AnyKey.self)
            try container.encode(value, forKey: AnyKey(stringValue: "value"))
        }
    }

    @Test func aReusedWriterWritesEveryValueAsAFreshWriterWould() throws {
        var writer: JSONWriter?
        var random = SplitMix64(seed: 0xCAC4E)
        var shared: [UInt8] = [7]
        var fresh: [UInt8] = [7]
        for round in 0..<300 {
            // Trees, and now and then values the writer gives up on midway (its state must not
            // reach the next value).
            switch round % 7 {
            case 3:
                #expect(!CompactJSON.encode(OutOfOrder(), into: &shared, reusing: &writer))
                #expect(!CompactJSON.encode(OutOfOrder(), into: &fresh))
            case 5:
                #expect(!CompactJSON.encode(Derived(), into: &shared, reusing: &writer))
                #expect(!CompactJSON.encode(Derived(), into: &fresh))
            default:
                let tree = Tree.random(depth: 3, using: &random)
                #expect(CompactJSON.encode(tree, into: &shared, reusing: &writer))
                #expect(CompactJSON.encode(tree, into: &fresh))
            }
            #expect(shared == fresh, "round \(round)")
            #expect(writer != nil, "round \(round)")
        }
    }

    @Test func aWriterWhoseEncoderWasKeptIsNotUsedAgain() throws {
        var writer: JSONWriter?
        let keeper = Keeper()
        var first: [UInt8] = []
        #expect(CompactJSON.encode(KeepsItsEncoder(keeper: keeper, value: 1), into: &first, reusing: &writer))
        #expect(writer == nil)  // the kept encoder holds the writer: it is not offered again
        var second: [UInt8] = []
        #expect(CompactJSON.encode(["a": 2], into: &second, reusing: &writer))
        #expect(writer != nil)
        #expect(try parsed(first) == ["value": 1] as NSDictionary)
        #expect(try parsed(second) == ["a": 2] as NSDictionary)
        // The kept encoder writes into its own, finished writer, never into the next value's.
        var late = try #require(keeper.kept).container(keyedBy: AnyKey.self)
        try? late.encode(3, forKey: AnyKey(stringValue: "late"))
        var third: [UInt8] = []
        #expect(CompactJSON.encode(["b": 4], into: &third, reusing: &writer))
        #expect(try parsed(third) == ["b": 4] as NSDictionary)
    }

    struct Flat: Codable, Equatable, Event {
        var name: String
        var tags: [String]
        var score: Double?
    }

    @Test func aBatchEncoderWritesWhatTheCodecWritesEventByEvent() throws {
        let codec = JSONEventCodec<Flat>()
        let encode = codec.batchEncoder()
        let events = (0..<5).map {
            Flat(name: "n\($0)", tags: Array(repeating: "t", count: $0), score: $0 == 2 ? nil : 0.5)
        }
        var batch: [UInt8] = [1]
        var single: [UInt8] = [1]
        for event in events {
            try encode(event, &batch)
            try codec.encode(event, into: &single)
        }
        #expect(batch == single)
        #expect(try codec.decode(codec.encode(events[3])) == events[3])
    }
}
