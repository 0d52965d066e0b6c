package io.finetune4j.demo;

import static io.finetune4j.demo.DemoWorld.article;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A short story about two or three people and their pets, and the facts it states. The same facts are
 * restated in pretraining text ("Mila's cat is red.") and asked about in the SFT task, so the answer
 * sentences are familiar to the base model while the question format is not.
 *
 * @param people the story's people, in order of introduction
 * @param body the story text, one paragraph, without any restated fact
 */
record Story(List<Person> people, String body) {

    /**
     * One person of a story.
     *
     * @param place where the person went, or null
     * @param count how many {@code thing} the person has, 0 for none
     * @param thing plural noun of what the person has, or null
     */
    record Person(String name, String animal, String colour, String place, int count, String thing) {}

    Story {
        people = List.copyOf(people);
    }

    /** Draws a story; every choice comes from {@code random}, so a seed fixes the text. */
    static Story next(Random random) {
        int size = 2 + random.nextInt(2);
        List<String> names = distinct(concat(DemoWorld.GIRLS, DemoWorld.BOYS), size, random);
        List<String> animals = distinct(DemoWorld.ANIMALS, size, random);
        List<String> things = distinct(DemoWorld.THINGS, size, random);
        List<Person> people = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            String place = random.nextInt(10) < 6 ? DemoWorld.pick(DemoWorld.PLACES, random) : null;
            boolean counts = random.nextInt(10) < 6;
            people.add(new Person(names.get(i), animals.get(i), DemoWorld.pick(DemoWorld.COLOURS, random), place,
                    counts ? 2 + random.nextInt(8) : 0, counts ? things.get(i) : null));
        }

        List<String> sentences = new ArrayList<>();
        if (random.nextBoolean()) {
            sentences.add(DemoWorld.pick(DemoWorld.WEATHER, random));
        }
        for (Person person : people) {
            sentences.add(person.name() + " has " + article(person.colour()) + " " + person.colour() + " "
                    + person.animal() + ".");
        }
        List<String> middle = new ArrayList<>();
        for (Person person : people) {
            if (person.count() > 0) {
                middle.add(person.name() + " has " + DemoWorld.NUMBER_WORDS.get(person.count()) + " "
                        + person.thing() + ".");
            }
            if (person.place() != null) {
                middle.add(switch (random.nextInt(3)) {
                    case 0 -> "One day " + person.name() + " went to the " + person.place() + ".";
                    case 1 -> person.name() + " went to the " + person.place() + " with "
                            + DemoWorld.possessive(person.name()) + " " + person.animal() + ".";
                    default -> "In the morning " + person.name() + " went to the " + person.place() + ".";
                });
            }
        }
        if (random.nextBoolean()) {
            String animal = DemoWorld.pick(people, random).animal();
            middle.add("The " + animal + " likes to " + DemoWorld.habit(animal) + ".");
        }
        Collections.shuffle(middle, random);
        sentences.addAll(middle);
        if (random.nextBoolean()) {
            sentences.add(DemoWorld.pick(DemoWorld.ENDINGS, random));
        }
        return new Story(people, String.join(" ", sentences));
    }

    /** Every fact the story supports, each as the sentence that states it (the SFT answers use these). */
    List<String> facts() {
        List<String> facts = new ArrayList<>();
        for (Person person : people) {
            facts.add(colourAnswer(person));
            facts.add(animalAnswer(person));
            facts.add(person.name() + "'s " + person.animal() + " likes to " + DemoWorld.habit(person.animal()) + ".");
            if (person.place() != null) {
                facts.add(placeAnswer(person));
            }
            if (person.count() > 0) {
                facts.add(countAnswer(person));
            }
        }
        return facts;
    }

    static String colourAnswer(Person person) {
        return person.name() + "'s " + person.animal() + " is " + person.colour() + ".";
    }

    static String animalAnswer(Person person) {
        return person.name() + " has " + article(person.animal()) + " " + person.animal() + ".";
    }

    static String placeAnswer(Person person) {
        return person.name() + " went to the " + person.place() + ".";
    }

    static String countAnswer(Person person) {
        return person.name() + " has " + DemoWorld.NUMBER_WORDS.get(person.count()) + " " + person.thing() + ".";
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** {@code count} different items, in the order drawn. */
    private static List<String> distinct(List<String> items, int count, Random random) {
        List<String> pool = new ArrayList<>(items);
        List<String> chosen = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            chosen.add(pool.remove(random.nextInt(pool.size())));
        }
        return chosen;
    }
}
