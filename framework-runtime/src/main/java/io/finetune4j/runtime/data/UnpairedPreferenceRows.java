package io.finetune4j.runtime.data;

import com.fasterxml.jackson.databind.JsonNode;
import io.finetune4j.api.ConfigException;
import java.util.Locale;

/**
 * Recognises TRL's unpaired preference rows ({@code prompt}, {@code completion}, boolean {@code label}: the
 * KTO format of TRL's dataset-formats guide). Objectives that read the label take it from the row; the
 * generic reading keeps the prompt/completion pair.
 */
final class UnpairedPreferenceRows {
    private UnpairedPreferenceRows() {}

    /** A row with prompt, completion and label fields. */
    static boolean isUnpaired(JsonNode row) {
        return row.has("prompt") && row.has("completion") && row.has("label");
    }

    /** The label, which must be a boolean (or the strings true/false, as CSV files hold it). */
    static boolean label(JsonNode row, String where) {
        JsonNode label = row.get("label");
        if (label.isBoolean()) {
            return label.booleanValue();
        }
        if (label.isTextual() && (label.textValue().equalsIgnoreCase("true") || label.textValue().equalsIgnoreCase("false"))) {
            return Boolean.parseBoolean(label.textValue().toLowerCase(Locale.ROOT));
        }
        throw new ConfigException(String.format(Locale.ROOT, "%s: \"label\" of an unpaired preference row "
                + "(prompt, completion, label) must be true or false, was %s", where,
                label.isTextual() ? "\"" + label.textValue() + "\"" : RowFormats.kind(label)));
    }
}
