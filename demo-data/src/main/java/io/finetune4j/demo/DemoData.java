package io.finetune4j.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The demo data of one seed: a pretraining corpus, held-out text of the same kind, and an SFT task split
 * into disjoint train and held-out examples. Everything follows from {@link DemoDataSpec#seed()}. Each
 * part draws from its own random stream, so changing one part's size leaves the others' text as it was
 * (except for the rare draw rejected because it repeats a pretraining document or a training prompt).
 *
 * @param pretrain pretraining documents
 * @param general held-out documents of the same kind, none equal to a pretraining document
 * @param train SFT training examples, prompts all different
 * @param heldout SFT held-out examples, no prompt equal to a training prompt, arithmetic facts disjoint
 */
public record DemoData(List<String> pretrain, List<String> general, List<SftExample> train,
                       List<SftExample> heldout) {
    private static final int CORPUS_STREAM = 1;
    private static final int GENERAL_STREAM = 2;
    private static final int ARITHMETIC_SPLIT_STREAM = 3;
    private static final int TRAIN_STREAM = 4;
    private static final int HELDOUT_STREAM = 5;

    public DemoData {
        pretrain = List.copyOf(pretrain);
        general = List.copyOf(general);
        train = List.copyOf(train);
        heldout = List.copyOf(heldout);
    }

    public static DemoData generate(DemoDataSpec spec) {
        CorpusGenerator corpus = new CorpusGenerator(stream(spec.seed(), CORPUS_STREAM));
        List<String> pretrain = new ArrayList<>(spec.pretrainDocuments());
        for (int i = 0; i < spec.pretrainDocuments(); i++) {
            pretrain.add(corpus.nextDocument());
        }

        // General text must be held out: never a document the model was pretrained on.
        Set<String> seen = new HashSet<>(pretrain);
        CorpusGenerator generalCorpus = new CorpusGenerator(stream(spec.seed(), GENERAL_STREAM));
        Set<String> general = new LinkedHashSet<>();
        for (int attempts = 0; general.size() < spec.generalDocuments(); attempts++) {
            if (attempts > 100 * spec.generalDocuments() + 1000) {
                throw new IllegalStateException("could not draw " + spec.generalDocuments() + " new documents");
            }
            String document = generalCorpus.nextDocument();
            if (!seen.contains(document)) {
                general.add(document);
            }
        }

        // A quarter of the arithmetic facts are asked only in held-out questions, the rest only in training.
        List<ArithmeticFact> facts = new ArrayList<>(ArithmeticFact.all());
        Collections.shuffle(facts, stream(spec.seed(), ARITHMETIC_SPLIT_STREAM));
        int heldoutFacts = facts.size() / 4;
        List<SftExample> train = new SftTaskGenerator(stream(spec.seed(), TRAIN_STREAM),
                facts.subList(heldoutFacts, facts.size())).generate(spec.trainExamples(), Set.of());
        Set<String> trainPrompts = new HashSet<>();
        train.forEach(example -> trainPrompts.add(example.prompt()));
        List<SftExample> heldout = new SftTaskGenerator(stream(spec.seed(), HELDOUT_STREAM),
                facts.subList(0, heldoutFacts)).generate(spec.heldoutExamples(), trainPrompts);
        return new DemoData(pretrain, List.copyOf(general), train, heldout);
    }

    /** A random stream of its own per part, fixed by the seed (java.util.Random's algorithm is specified). */
    private static Random stream(long seed, int part) {
        return new Random(seed * 1_000_003L + part * 0x9E3779B97F4A7C15L);
    }
}
