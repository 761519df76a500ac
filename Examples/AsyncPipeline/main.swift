// AsyncPipeline — fetch → process. The fetch stage answers requests concurrently (each fetch
// "takes" 200 ms); the process stage consumes the results from a mailbox and gathers them.
// The total time shows that the fetches overlapped.
import CommandLineSupport
import EventBus
import Foundation
import Synchronization

struct FetchPage: Request {
    typealias Response = String
    let url: String
}

struct PageFetched: Event {
    let url: String
    let body: String
}

let spec = CommandSpec(
    name: "swift run AsyncPipeline",
    summary: "concurrent fetch stage, gathered processing stage",
    options: [OptionSpec("--pages", value: "N", help: "pages to fetch (default 8)")]
)

await CommandExit.run("asyncpipeline") {
    let pages = try spec.parse(Array(CommandLine.arguments.dropFirst())).int("--pages", default: 8, in: 1...200)
    let bus = Bus()
    let latency = Duration.milliseconds(200)

    // Stage 1: the fetcher answers each request after a simulated network delay.
    try bus.respond(FetchPage.self) { request in
        try await Task.sleep(for: latency)
        return "<html>\(request.url.count) bytes of \(request.url)</html>"
    }

    // Stage 2: the processor counts words of every fetched page.
    let words = Mutex<[String: Int]>([:])
    try await bus.consume(PageFetched.self) { page in
        let count = page.body.split(separator: " ").count
        words.withLock { $0[page.url] = count }
    }

    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 1...pages {
            group.addTask {
                let url = "https://example.com/page/\(index)"
                let body = try await bus.request(FetchPage(url: url), timeout: .seconds(5))
                try await bus.publish(PageFetched(url: url, body: body))
                print("  fetched \(url)")
            }
        }
        try await group.waitForAll()
    }
    await bus.waitUntilIdle()
    let elapsed = ContinuousClock.now - start
    let gathered = words.withLock { $0 }
    print("\nprocessed \(gathered.count) pages, \(gathered.values.reduce(0, +)) words in total")
    print(
        "elapsed \(elapsed.formatted(.units(allowed: [.milliseconds]))) for \(pages) fetches of \(latency.formatted(.units(allowed: [.milliseconds]))) each"
    )
    print("(sequentially that would be \((latency * pages).formatted(.units(allowed: [.milliseconds]))))")
    await bus.shutdown()
}
