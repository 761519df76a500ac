import Foundation

// Longer than 400 lines on purpose: the slot encoder and its keyed, unkeyed and single-value
// containers write into one shared buffer in lock step (each container's close finishes its
// parent's slot), and split across files their shared state would have to widen its access.

/// The `Encoder` for one value's position: the top, an object member or an array element.
/// It may be written once, as a scalar or as one container (asked for again, the same one).
final class SlotEncoder: Encoder {
    enum State {
        case empty
        case scalar
        case keyed(UInt32)
        case unkeyed(UInt32)
    }

    let writer: JSONWriter
    /// How many containers are open around this slot.
    let depth: Int
    /// The container the slot is in (nil at the top).
    let parentID: UInt32?
    let parent: SlotEncoder?
    /// Keys of nested containers between the parent's path and `key`.
    let prefix: [any CodingKey]
    let key: (any CodingKey)?
    private var state = State.empty

    init(
        writer: JSONWriter,
        depth: Int,
        parentID: UInt32?,
        parent: SlotEncoder?,
        prefix: [any CodingKey],
        key: (any CodingKey)?
    ) {
        self.writer = writer
        self.depth = depth
        self.parentID = parentID
        self.parent = parent
        self.prefix = prefix
        self.key = key
    }

    var codingPath: [any CodingKey] {
        var path = parent?.codingPath ?? []
        path += prefix
        if let key { path.append(key) }
        return path
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var hasValue: Bool {
        if case .empty = state { return false }
        return true
    }

    /// Whether the slot can still be written: nothing was written to its container since.
    private var isCurrent: Bool { writer.slotIsCurrent(depth: depth, parentID: parentID) }

    /// Takes the slot for a scalar about to be written.
    func claim() throws {
        guard case .empty = state, isCurrent else { throw CompactJSONUnsupported() }
        state = .scalar
    }

    /// Ends the slot once its value's `encode(to:)` returned: a value that wrote nothing is an
    /// empty object, as with `JSONEncoder`, and containers it left open are closed.
    func finish() throws {
        if case .empty = state {
            guard isCurrent else { throw CompactJSONUnsupported() }
            _ = writer.open(isObject: true)
            state = .scalar
        }
        writer.close(above: depth)
    }

    /// The slot's object or array: opened now, or the one opened before (`JSONEncoder` hands out
    /// the same container again). 0, with the writer marked unsupported, when it cannot be.
    private func openContainer(isObject: Bool) -> UInt32 {
        switch state {
        case .keyed(let id) where isObject:
            return id
        case .unkeyed(let id) where !isObject:
            return id
        case .empty where isCurrent:
            let id = writer.open(isObject: isObject)
            state = isObject ? .keyed(id) : .unkeyed(id)
            return id
        default:
            writer.unsupported = true
            return 0
        }
    }

    /// The place of a container this slot opened.
    private func place(id: UInt32) -> ContainerPlace {
        ContainerPlace(writer: writer, owner: self, id: id, depth: depth, prefix: [])
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(CompactKeyedContainer<Key>(place: place(id: openContainer(isObject: true))))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        CompactUnkeyedContainer(place: place(id: openContainer(isObject: false)))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        CompactSingleValueContainer(slot: self)
    }
}

/// An array index in a coding path.
struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }

    init(index: Int) {
        intValue = index
    }

    init?(stringValue: String) {
        nil
    }

    init?(intValue: Int) {
        self.intValue = intValue
    }
}

/// Where a container is: what both kinds of container need to write and to make slots.
struct ContainerPlace {
    let writer: JSONWriter
    /// The slot whose value this container is (or is nested in): the start of its coding path.
    let owner: SlotEncoder
    let id: UInt32
    /// Its index among the open containers.
    let depth: Int
    /// Keys of the nested containers between the owner's path and this container.
    let prefix: [any CodingKey]

    var codingPath: [any CodingKey] { owner.codingPath + prefix }

    /// A container opened inside this one, under `key`.
    func nested(id: UInt32, key: any CodingKey) -> ContainerPlace {
        ContainerPlace(writer: writer, owner: owner, id: id, depth: depth + 1, prefix: prefix + [key])
    }

    /// Writes `value` as the member or element just begun, under `key`.
    func encode<T: Encodable>(_ value: T, key: any CodingKey) throws {
        let slot = SlotEncoder(writer: writer, depth: depth + 1, parentID: id, parent: owner, prefix: prefix, key: key)
        try writer.encodeValue(value, in: slot)
        try slot.finish()
    }

    /// `JSONEncoder` writes a super-encoder's value when it is released; a stream cannot wait.
    func unsupportedEncoder() -> any Encoder {
        writer.unsupported = true
        return SlotEncoder(writer: writer, depth: -1, parentID: 0, parent: owner, prefix: prefix, key: nil)
    }
}

/// An object being written.
struct CompactKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let place: ContainerPlace

    var codingPath: [any CodingKey] { place.codingPath }

    private var writer: JSONWriter { place.writer }

    private func member(_ key: Key) throws {
        try writer.activate(place.id, at: place.depth)
        writer.beginMember(key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws {
        try member(key)
        writer.writeNull()
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        try member(key)
        writer.writeBool(value)
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        try member(key)
        writer.writeString(value)
    }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        try member(key)
        try writer.writeFloat(value)
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        try member(key)
        try writer.writeFloat(value)
    }

    mutating func encode(_ value: Int, forKey key: Key) throws {
        try member(key)
        writer.writeInteger(value)
    }

    mutating func encode(_ value: Int8, forKey key: Key) throws {
        try member(key)
        writer.writeInteger(value)
    }

    mutating func encode(_ value: Int16, forKey key: Key) throws {
        try member(key)
        writer.writeInteger(value)
    }

    mutating func encode(_ value: Int32, forKey key: Key) throws {
        try member(key)
        writer.writeInteger(value)
    }

    mutating func encode(_ value: Int64, forKey key: Key) throws {
        try member(key)
        writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt, forKey key: Key) throws {
        try member(key)
        writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt8, forKey key: Key) throws {
        try member(key)
        writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt16, forKey key: Key) throws {
        try member(key)
        writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt32, forKey key: Key) throws {
        try member(key)
        writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        try member(key)
        writer.writeInteger(value)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try member(key)
        try place.encode(value, key: key)
    }

    /// Opens an object or array as the member `key`; 0, with the writer marked unsupported,
    /// when this container was closed.
    private func openNested(isObject: Bool, forKey key: Key) -> UInt32 {
        do {
            try member(key)
            return writer.open(isObject: isObject)
        } catch {
            writer.unsupported = true
            return 0
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type,
        forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(
            CompactKeyedContainer<NestedKey>(place: place.nested(id: openNested(isObject: true, forKey: key), key: key))
        )
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        CompactUnkeyedContainer(place: place.nested(id: openNested(isObject: false, forKey: key), key: key))
    }

    mutating func superEncoder() -> any Encoder {
        place.unsupportedEncoder()
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        place.unsupportedEncoder()
    }
}

/// An array being written.
struct CompactUnkeyedContainer: UnkeyedEncodingContainer {
    let place: ContainerPlace

    var codingPath: [any CodingKey] { place.codingPath }

    var count: Int { writer.count(of: place.id, at: place.depth) }

    private var writer: JSONWriter { place.writer }

    @discardableResult
    private func element() throws -> Int {
        try writer.activate(place.id, at: place.depth)
        return writer.beginElement()
    }

    mutating func encodeNil() throws {
        try element()
        writer.writeNull()
    }

    mutating func encode(_ value: Bool) throws {
        try element()
        writer.writeBool(value)
    }

    mutating func encode(_ value: String) throws {
        try element()
        writer.writeString(value)
    }

    mutating func encode(_ value: Double) throws {
        try element()
        try writer.writeFloat(value)
    }

    mutating func encode(_ value: Float) throws {
        try element()
        try writer.writeFloat(value)
    }

    mutating func encode(_ value: Int) throws {
        try element()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: Int8) throws {
        try element()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: Int16) throws {
        try element()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: Int32) throws {
        try element()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: Int64) throws {
        try element()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt) throws {
        try element()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt8) throws {
        try element()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt16) throws {
        try element()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt32) throws {
        try element()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt64) throws {
        try element()
        writer.writeInteger(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = try element()
        try place.encode(value, key: IndexKey(index: index))
    }

    /// Opens an object or array as the next element; id 0, with the writer marked unsupported,
    /// when this container was closed.
    private func openNested(isObject: Bool) -> ContainerPlace {
        do {
            let key = IndexKey(index: try element())
            return place.nested(id: writer.open(isObject: isObject), key: key)
        } catch {
            writer.unsupported = true
            return place.nested(id: 0, key: IndexKey(index: count))
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(CompactKeyedContainer<NestedKey>(place: openNested(isObject: true)))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        CompactUnkeyedContainer(place: openNested(isObject: false))
    }

    mutating func superEncoder() -> any Encoder {
        place.unsupportedEncoder()
    }
}

/// A slot written as one value.
struct CompactSingleValueContainer: SingleValueEncodingContainer {
    let slot: SlotEncoder

    var codingPath: [any CodingKey] { slot.codingPath }

    private var writer: JSONWriter { slot.writer }

    mutating func encodeNil() throws {
        try slot.claim()
        writer.writeNull()
    }

    mutating func encode(_ value: Bool) throws {
        try slot.claim()
        writer.writeBool(value)
    }

    mutating func encode(_ value: String) throws {
        try slot.claim()
        writer.writeString(value)
    }

    mutating func encode(_ value: Double) throws {
        try slot.claim()
        try writer.writeFloat(value)
    }

    mutating func encode(_ value: Float) throws {
        try slot.claim()
        try writer.writeFloat(value)
    }

    mutating func encode(_ value: Int) throws {
        try slot.claim()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: Int8) throws {
        try slot.claim()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: Int16) throws {
        try slot.claim()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: Int32) throws {
        try slot.claim()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: Int64) throws {
        try slot.claim()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt) throws {
        try slot.claim()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt8) throws {
        try slot.claim()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt16) throws {
        try slot.claim()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt32) throws {
        try slot.claim()
        writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt64) throws {
        try slot.claim()
        writer.writeInteger(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try writer.encodeValue(value, in: slot)
    }
}
