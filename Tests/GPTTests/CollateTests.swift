import Testing
@testable import GPT

@Suite struct CollateTests {
    /// The worked example of chapter 7 (section 7.3): three items of lengths 5, 2, 3.
    @Test func chapterSevenExample() {
        let b = collate([[0, 1, 2, 3, 4], [5, 6], [7, 8, 9]])
        let p: Int32 = 50256, i: Int32 = -100
        #expect(b.rows == 3 && b.length == 5)
        #expect(b.inputs == [0, 1, 2, 3, 4, 5, 6, p, p, p, 7, 8, 9, p, p])
        #expect(b.targets == [1, 2, 3, 4, p, 6, p, i, i, i, 8, 9, p, i, i])
    }

    @Test func truncationKeepsTheFirstTokens() {
        let b = collate([[0, 1, 2, 3, 4], [5, 6]], maxLength: 3)
        #expect(b.length == 3)
        #expect(b.inputs == [0, 1, 2, 5, 6, 50256])
        #expect(b.targets == [1, 2, 3, 6, 50256, -100])
    }

    /// Exercise 7.2: targets predicting prompt tokens are masked; a prompt of 3 tokens masks 2 targets.
    @Test func promptMasking() {
        let b = collate([[10, 11, 12, 13, 14], [20, 21, 22]], promptLengths: [3, 2])
        #expect(b.targets == [-100, -100, 13, 14, 50256, -100, 22, 50256, -100, -100])
        #expect(b.countedTargets == 5)
    }

    /// A pad id that occurs inside the text counts as padding, as in the chapter's code (`targets == pad_token_id`).
    @Test func padIdInsideTextFollowsTheChapter() {
        let b = collate([[1, 50256, 2]])
        #expect(b.targets == [50256, 2, -100])
    }
}
