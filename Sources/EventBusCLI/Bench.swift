import CommandLineSupport
import Foundation

enum Bench {
    static func run(_ arguments: [String]) async throws -> Int32 { 0 }
}
