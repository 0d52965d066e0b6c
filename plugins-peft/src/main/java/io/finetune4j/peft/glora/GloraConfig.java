package io.finetune4j.peft.glora;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Settings of the {@code glora} method (Chavan et al., 2023): per adapted layer {@code W' = W0 + W0 ⊙ A + B},
 * {@code b' = b0 + b0 ⊙ D + E + W0 · C}, each support chosen once for every layer (the paper searches a choice
 * per layer by evolution; this method fixes it, see the package documentation).
 *
 * @param r rank of every {@code lora} support without its own ({@code lora_<k>} gives support its own rank)
 * @param a support multiplying the weight: {@code lora}, {@code lora_<k>}, {@code vector} ({@code [out, 1]}),
 *     {@code scalar} or {@code none}
 * @param b support added to the weight, same choices as {@code a}
 * @param c support that turns the weight into a bias shift {@code W0 · C} ({@code [in, 1]}), same choices
 * @param d support multiplying the bias: {@code vector} ({@code [out]}), {@code scalar} or {@code none}
 * @param e support added to the bias, same choices as {@code d}
 * @param targetModules as in {@code lora}
 */
public record GloraConfig(int r, String a, String b, String c, String d, String e, Object targetModules) {
    /** The support slots, in the formula's order. */
    public static final List<String> SLOTS = List.of("a", "b", "c", "d", "e");

    public GloraConfig {
        targetModules = targetModules instanceof List<?> list ? Collections.unmodifiableList(new ArrayList<>(list))
                : targetModules;
    }

    /**
     * One support's choice.
     *
     * @param type {@code lora}, {@code vector}, {@code scalar} or {@code none}
     * @param rank the low rank of a {@code lora} support, 0 for the others
     */
    public record Support(String type, int rank) {
        public boolean none() {
            return "none".equals(type);
        }
    }

    /** The text of {@code slot} ({@code a} ... {@code e}) as written in the pipeline file. */
    public String text(String slot) {
        return switch (slot) {
            case "a" -> a;
            case "b" -> b;
            case "c" -> c;
            case "d" -> d;
            case "e" -> e;
            default -> throw new IllegalArgumentException("no GLoRA support '" + slot + "'; supports are " + SLOTS);
        };
    }

    /** The parsed choice of {@code slot}; {@code lora} takes {@link #r()}, {@code lora_<k>} rank {@code k}. */
    public Support support(String slot) {
        String value = text(slot) == null ? "" : text(slot).toLowerCase(Locale.ROOT);
        if (value.equals("lora")) {
            return new Support("lora", r);
        }
        if (value.matches("lora_[0-9]{1,6}")) {
            return new Support("lora", Integer.parseInt(value.substring(5)));
        }
        return new Support(value, 0);
    }
}
