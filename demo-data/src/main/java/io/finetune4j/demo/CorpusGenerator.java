package io.finetune4j.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Pretraining documents over {@link DemoWorld}: three in four are {@link Story stories} followed by one
 * to three of their facts restated (so the model must look back into the story to continue), the rest
 * are lists of arithmetic facts or of world facts. Deterministic for a given {@link Random}.
 */
final class CorpusGenerator {
    private static final List<ArithmeticFact> ARITHMETIC = ArithmeticFact.all();
    private final Random random;

    CorpusGenerator(Random random) {
        this.random = random;
    }

    /** One document: a paragraph of plain text without the question/answer format of the SFT task. */
    String nextDocument() {
        int kind = random.nextInt(20);
        if (kind < 15) {
            return storyDocument();
        }
        return kind < 18 ? arithmeticDocument() : worldFactsDocument();
    }

    private String storyDocument() {
        Story story = Story.next(random);
        List<String> facts = new ArrayList<>(story.facts());
        Collections.shuffle(facts, random);
        int restated = 1 + random.nextInt(3);
        return story.body() + " " + String.join(" ", facts.subList(0, restated));
    }

    private String arithmeticDocument() {
        int count = 4 + random.nextInt(5);
        List<String> sentences = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            sentences.add(DemoWorld.pick(ARITHMETIC, random).sentence());
        }
        return String.join(" ", sentences);
    }

    private String worldFactsDocument() {
        List<String> all = new ArrayList<>(DemoWorld.COLOURED_THINGS);
        for (String animal : DemoWorld.ANIMALS) {
            String a = DemoWorld.article(animal);
            String capital = Character.toUpperCase(a.charAt(0)) + a.substring(1);
            all.add(capital + " " + animal + " says " + DemoWorld.sound(animal) + ".");
            all.add(capital + " " + animal + " likes to " + DemoWorld.habit(animal) + ".");
        }
        Collections.shuffle(all, random);
        return String.join(" ", all.subList(0, 4 + random.nextInt(4)));
    }
}
