package io.finetune4j.demo;

/**
 * How much demo data to make, and from which seed.
 *
 * @param pretrainDocuments rows of {@code pretrain.jsonl}
 * @param generalDocuments rows of {@code general.jsonl}: held-out pretraining-style text (forgetting)
 * @param trainExamples rows of {@code train.jsonl}
 * @param heldoutExamples rows of {@code heldout.jsonl}
 * @param vocabSize tokenizer vocabulary: 256 bytes + special tokens + learned merges
 */
public record DemoDataSpec(long seed, int pretrainDocuments, int generalDocuments, int trainExamples,
                           int heldoutExamples, int vocabSize) {

    /** The sizes {@code ft4j make-demo-data} uses unless told otherwise. */
    public static DemoDataSpec defaults(long seed) {
        return new DemoDataSpec(seed, 12_000, 200, 1_500, 200, 1_024);
    }
}
