// swift-tools-version:6.0
import PackageDescription

// Element-wise kernels are plain pointer loops; in release they must not pay for overflow checks.
// Target Haswell (AVX2 + FMA, the x86-64-v3 level; this toolchain's clang importer rejects the name
// "x86-64-v3") so those loops and the optimizer's SIMD8 lanes compile to 256-bit instructions, not SSE2.
let fastMath: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"], .when(configuration: .release))]

let package = Package(
    name: "Finch",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "finch", targets: ["FinchCLI"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "Tokenizers", targets: ["Tokenizers"]),
        .library(name: "GPT", targets: ["GPT"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "Stages", targets: ["Stages"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .target(name: "TensorCore", dependencies: ["CDNNL"], swiftSettings: fastMath),
        .target(name: "Tokenizers", swiftSettings: fastMath),
        .target(name: "GPT", dependencies: ["TensorCore", "Tokenizers"], swiftSettings: fastMath),
        .target(
            name: "Pipeline",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .target(
            name: "Stages",
            dependencies: ["TensorCore", "Tokenizers", "GPT", "Pipeline", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: fastMath),
        .executableTarget(
            name: "FinchCLI",
            dependencies: [
                "TensorCore", "Tokenizers", "GPT", "Pipeline", "Stages",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "TestSupport"]),
        .testTarget(name: "GPTTests", dependencies: ["GPT", "TestSupport"]),
        .executableTarget(name: "pipeline-testbed", dependencies: ["Pipeline"], path: "Tests/PipelineTestbed"),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline"]),
        .testTarget(name: "StagesTests", dependencies: ["Stages", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
