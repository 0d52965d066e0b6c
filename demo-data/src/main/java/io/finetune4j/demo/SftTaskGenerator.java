package io.finetune4j.demo;

import io.finetune4j.demo.Story.Person;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The demo SFT task: a story followed by {@code Q: <question>?\nA:}, answered by the sentence that states
 * the fact ({@code " Mila's cat is red."}), plus bare arithmetic questions. The pretraining corpus holds
 * the answer sentences but never this question format, so a base model scores poorly until it is tuned.
 * Prompts are unique within a generator's output.
 */
final class SftTaskGenerator {
    private final Random random;
    private final List<ArithmeticFact> arithmetic;

    /** @param arithmetic the arithmetic facts this split may ask about (splits use disjoint sets) */
    SftTaskGenerator(Random random, List<ArithmeticFact> arithmetic) {
        this.random = random;
        this.arithmetic = List.copyOf(arithmetic);
    }

    /** {@code count} examples whose prompts are all different and none in {@code excludedPrompts}. */
    List<SftExample> generate(int count, Set<String> excludedPrompts) {
        Set<String> seen = new LinkedHashSet<>();
        List<SftExample> examples = new ArrayList<>();
        int attempts = 0;
        while (examples.size() < count) {
            if (++attempts > 100 * count + 1000) {
                throw new IllegalStateException("could not draw " + count + " different SFT prompts");
            }
            SftExample example = next();
            if (!excludedPrompts.contains(example.prompt()) && seen.add(example.prompt())) {
                examples.add(example);
            }
        }
        return examples;
    }

    private SftExample next() {
        int kind = random.nextInt(20);
        if (kind >= 17 && !arithmetic.isEmpty()) {
            ArithmeticFact fact = DemoWorld.pick(arithmetic, random);
            return new SftExample(question("", "What is " + fact.expression() + "?"), " " + fact.sentence());
        }
        Story story = Story.next(random);
        if (kind >= 13) {
            Person person = pickWhere(story, p -> p.count() > 0);
            if (person != null) {
                return new SftExample(question(story.body(), "How many " + person.thing() + " does "
                        + person.name() + " have?"), " " + Story.countAnswer(person));
            }
        }
        if (kind >= 9) {
            Person person = pickWhere(story, p -> p.place() != null);
            if (person != null) {
                return new SftExample(question(story.body(), "Where did " + person.name() + " go?"),
                        " " + Story.placeAnswer(person));
            }
        }
        Person person = DemoWorld.pick(story.people(), random);
        if (kind >= 6) {
            return new SftExample(question(story.body(), "What animal does " + person.name() + " have?"),
                    " " + Story.animalAnswer(person));
        }
        return new SftExample(question(story.body(), "What colour is " + person.name() + "'s " + person.animal()
                + "?"), " " + Story.colourAnswer(person));
    }

    private static String question(String context, String question) {
        return (context.isEmpty() ? "" : context + "\n") + "Q: " + question + "\nA:";
    }

    private Person pickWhere(Story story, Predicate<Person> test) {
        List<Person> candidates = story.people().stream().filter(test).toList();
        return candidates.isEmpty() ? null : DemoWorld.pick(candidates, random);
    }
}
