package io.finetune4j.demo.preference;

import io.finetune4j.demo.SftExample;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Turns demo SFT examples into preference pairs for DPO, ORPO and reward modelling. The chosen completion is
 * the correct answer; the rejected one is of three kinds, cycling by row:
 * <ul>
 *   <li>rows 0, 3, 6, ..., a wrong fact: the chosen answer's subject with the predicate of another example asking the
 *       same kind of question ("What colour is", "How many", "What is" ...): {@code " Mila's cat is red."}
 *       against {@code " Mila's cat is blue."}, {@code " 9 minus 2 is 7."} against {@code " 9 minus 2 is 8."};
 *       well formed but wrong for this prompt, so telling them apart takes reading the story;</li>
 *   <li>rows 1, 4, 7, ..., a degenerate loop: the right answer said {@value #REPEATS} times over, the failure small
 *       language models show and preference tuning is used to remove;</li>
 *   <li>rows 2, 5, 8, ..., off topic: the answer to another kind of question ({@code " Sam has nine hats."}
 *       for "What is 9 minus 2?"), a mistake the demo SFT model makes.</li>
 * </ul>
 * Deterministic: the same examples and seed give the same pairs.
 */
public final class PreferenceDataGenerator {
    /** The verbs of the demo's answer sentences, see {@code Story} and {@code ArithmeticFact}. */
    private static final List<String> VERBS = List.of(" is ", " has ", " went ");

    /** How often a looping rejected answer says the right answer. */
    static final int REPEATS = 3;

    private PreferenceDataGenerator() {}

    public static List<PreferenceExample> generate(List<SftExample> examples, long seed) {
        Map<String, List<String>> answersByKind = new LinkedHashMap<>();
        for (SftExample example : examples) {
            answersByKind.computeIfAbsent(kind(example.prompt()), k -> new ArrayList<>()).add(example.completion());
        }
        List<String> allAnswers = examples.stream().map(SftExample::completion).toList();
        Random random = new Random(seed);
        List<PreferenceExample> pairs = new ArrayList<>();
        for (SftExample example : examples) {
            if (pairs.size() % 3 == 1) {
                pairs.add(new PreferenceExample(example.prompt(), example.completion(),
                        example.completion().repeat(REPEATS)));
                continue;
            }
            if (pairs.size() % 3 == 2) {
                String other = offTopic(answersByKind, kind(example.prompt()), random);
                if (other != null) {
                    pairs.add(new PreferenceExample(example.prompt(), example.completion(), other));
                    continue;
                }
            }
            String wrong = wrongAnswer(answersByKind.get(kind(example.prompt())), example.completion(), random);
            if (wrong == null) {
                wrong = wrongAnswer(allAnswers, example.completion(), random);
            }
            if (wrong != null) {
                pairs.add(new PreferenceExample(example.prompt(), example.completion(), wrong));
            }
        }
        return pairs;
    }

    /** The question's first two words after {@code Q: }, e.g. "What colour", "How many". */
    static String kind(String prompt) {
        int start = prompt.lastIndexOf("Q: ");
        if (start < 0) {
            return "";
        }
        String[] words = prompt.substring(start + 3).split(" ", 3);
        return words.length >= 2 ? words[0] + " " + words[1] : words[0];
    }

    /**
     * {@code correct}'s subject with the predicate of a random answer of {@code candidates}, differing from
     * {@code correct}; or null if no candidate gives one.
     */
    private static String wrongAnswer(List<String> candidates, String correct, Random random) {
        for (int attempt = 0; attempt < 20; attempt++) {
            String wrong = recombine(correct, candidates.get(random.nextInt(candidates.size())));
            if (!wrong.equals(correct)) {
                return wrong;
            }
        }
        return candidates.stream().map(candidate -> recombine(correct, candidate))
                .filter(wrong -> !wrong.equals(correct)).findFirst().orElse(null);
    }

    /** An answer to another kind of question ({@code " Tom went to the school."} for "What animal ..."), or null. */
    private static String offTopic(Map<String, List<String>> answersByKind, String kind, Random random) {
        List<String> kinds = answersByKind.keySet().stream().filter(other -> !other.equals(kind)).toList();
        if (kinds.isEmpty()) {
            return null;
        }
        List<String> answers = answersByKind.get(kinds.get(random.nextInt(kinds.size())));
        return answers.get(random.nextInt(answers.size()));
    }

    /** The part of {@code correct} up to its verb, then {@code other}'s part from the same verb on. */
    private static String recombine(String correct, String other) {
        for (String verb : VERBS) {
            int here = correct.indexOf(verb);
            int there = other.indexOf(verb);
            if (here >= 0 && there >= 0) {
                return correct.substring(0, here) + other.substring(there);
            }
        }
        return other;
    }
}
