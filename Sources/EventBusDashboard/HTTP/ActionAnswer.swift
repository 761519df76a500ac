/// The JSON answer to an action or a refused request.
struct ActionAnswer: Codable {
    let ok: Bool
    let message: String
}
