package io.finetune4j.demo;

import java.util.List;
import java.util.Random;

/**
 * The small closed world the demo corpus talks about: people, their pets, colours, places, things they
 * own and numbers. Small enough that a model of a few MB learns its structure in minutes, rich enough
 * that answering a question about a story needs looking things up in the story, not guessing.
 */
final class DemoWorld {
    static final List<String> GIRLS = List.of("Mila", "Anna", "Lucy", "Emma", "Sara", "Nora", "Lily", "Ella",
            "Zoe", "Ruby", "Maya", "Ivy", "Alice", "Grace", "Rosa", "Hana");
    static final List<String> BOYS = List.of("Tom", "Ben", "Sam", "Leo", "Max", "Jack", "Noah", "Finn",
            "Omar", "Hugo", "Theo", "Adam", "Eli", "Oscar", "Ravi", "Kai");

    /** Pets, each with the one thing it likes to do (world knowledge the corpus repeats). */
    static final List<String> ANIMALS = List.of("cat", "dog", "bird", "fish", "rabbit", "horse", "duck",
            "goat", "mouse", "frog", "hen", "pony");
    static final List<String> ANIMAL_HABITS = List.of("sleep", "run", "sing", "swim", "jump", "gallop", "swim",
            "climb", "hide", "jump", "peck", "trot");
    static final List<String> ANIMAL_SOUNDS = List.of("meow", "woof", "tweet", "blub", "squeak", "neigh", "quack",
            "baa", "squeak", "croak", "cluck", "neigh");

    static final List<String> COLOURS = List.of("red", "blue", "green", "yellow", "black", "white", "brown",
            "pink", "orange", "grey", "purple");
    static final List<String> PLACES = List.of("park", "farm", "river", "school", "market", "forest", "beach",
            "hill", "garden", "lake", "library", "zoo");
    /** Countable things, plural. */
    static final List<String> THINGS = List.of("apples", "books", "balls", "cups", "hats", "kites", "shells",
            "stones", "pens", "boxes", "coins", "flowers");
    /** Number words for 0..9; stories use 2..9. */
    static final List<String> NUMBER_WORDS = List.of("zero", "one", "two", "three", "four", "five", "six",
            "seven", "eight", "nine");

    static final List<String> WEATHER = List.of("It was a sunny day.", "It was a cold morning.",
            "The wind was strong that day.", "It rained a little in the morning.", "The sky was clear and blue.",
            "It was a warm evening.");
    static final List<String> ENDINGS = List.of("They were very happy.", "It was a good day.",
            "Then they all went home.", "At night everyone was tired.", "They played until it was dark.",
            "They ate bread and cheese for dinner.");

    /** Things whose colour everyone knows; "world fact" documents state them. */
    static final List<String> COLOURED_THINGS = List.of("Snow is white.", "Grass is green.", "The sun is yellow.",
            "The sky is blue.", "Coal is black.", "A lemon is yellow.", "A tomato is red.", "Milk is white.",
            "An orange is orange.", "Mud is brown.");

    private DemoWorld() {}

    static boolean isGirl(String name) {
        return GIRLS.contains(name);
    }

    static String pronoun(String name) {
        return isGirl(name) ? "She" : "He";
    }

    static String possessive(String name) {
        return isGirl(name) ? "her" : "his";
    }

    /** "a" or "an" for the word that follows. */
    static String article(String nextWord) {
        return "aeiou".indexOf(nextWord.charAt(0)) >= 0 ? "an" : "a";
    }

    static String habit(String animal) {
        return ANIMAL_HABITS.get(ANIMALS.indexOf(animal));
    }

    static String sound(String animal) {
        return ANIMAL_SOUNDS.get(ANIMALS.indexOf(animal));
    }

    static <T> T pick(List<T> items, Random random) {
        return items.get(random.nextInt(items.size()));
    }
}
