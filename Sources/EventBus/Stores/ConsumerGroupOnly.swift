/// Why a consumer group refused `subscribe`, `receive` or `send`: its events are consumed with
/// `consume(_:mailbox:…)`, whose loop claims, handles and settles them in the store.
struct ConsumerGroupOnly: Error, CustomStringConvertible {
    let mailbox: String

    var description: String {
        "\(mailbox) is a consumer group in a shared store: consume it with consume(_:mailbox:…) "
            + "(subscribe, receive and send do not reach consumer groups yet)"
    }
}
