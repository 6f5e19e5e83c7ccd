// swift-tools-version:6.0
import PackageDescription

// Element-wise kernels are plain pointer loops; in release they must not pay for overflow checks.
let fastMath: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "Finch",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "finch", targets: ["FinchCLI"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "Tokenizers", targets: ["Tokenizers"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .target(name: "TensorCore", dependencies: ["CDNNL"], swiftSettings: fastMath),
        .target(name: "Tokenizers", swiftSettings: fastMath),
        .executableTarget(
            name: "FinchCLI",
            dependencies: [
                "TensorCore",
                "Tokenizers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
