package io.finetune4j.peft.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.finetune4j.api.method.MethodProvider;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/**
 * Keeps plugins-peft/README.md in step with the code: every method listed in META-INF/services has a section
 * {@code ### `id`} whose field table has a row {@code | `snake_key` | `default` | meaning |} for every component
 * of its config record, with the default as {@code String.valueOf} prints the value of {@code defaults()} (the
 * empty string as {@code ""}), and a row in the overview table.
 */
class ReadmeMethodTableTest {
    private static final PropertyNamingStrategies.NamingBase SNAKE_CASE =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

    private static String readme() throws IOException {
        // surefire runs in the module directory
        return Files.readString(Path.of("README.md"));
    }

    private static List<MethodProvider<?>> providers() {
        List<MethodProvider<?>> providers = new ArrayList<>();
        ServiceLoader.load(MethodProvider.class).forEach(provider -> {
            if (provider.getClass().getPackageName().startsWith("io.finetune4j.peft.")) {
                providers.add(provider);
            }
        });
        return providers;
    }

    /** The rows of the field table in the section of {@code id}: key → default cell. */
    private static Map<String, String> fieldRows(String readme, String id) {
        String heading = "### `" + id + "`";
        int start = readme.indexOf(heading);
        assertThat(start).as("README.md has a section '%s'", heading).isGreaterThanOrEqualTo(0);
        int end = readme.indexOf("\n### ", start + heading.length());
        int endOfLevel2 = readme.indexOf("\n## ", start + heading.length());
        if (end < 0 || endOfLevel2 >= 0 && endOfLevel2 < end) {
            end = endOfLevel2;
        }
        String section = readme.substring(start, end < 0 ? readme.length() : end);
        Map<String, String> rows = new LinkedHashMap<>();
        for (String line : section.split("\n")) {
            if (!line.startsWith("| `")) {
                continue;
            }
            String[] cells = line.split("(?<!\\\\)\\|");
            if (cells.length >= 4) {
                rows.put(cells[1].trim(), cells[2].trim());
            }
        }
        return rows;
    }

    @Test
    void everyConfigFieldAndItsDefaultIsInTheReadme() throws IOException {
        String readme = readme();
        List<MethodProvider<?>> providers = providers();
        assertThat(providers).extracting(MethodProvider::id).contains("lora", "qlora", "adalora", "ia3", "bottleneck",
                "prompt-tuning", "prefix-tuning", "full");
        List<String> missing = new ArrayList<>();
        for (MethodProvider<?> provider : providers) {
            Map<String, String> rows = fieldRows(readme, provider.id());
            Record defaults = provider.defaults();
            for (RecordComponent component : defaults.getClass().getRecordComponents()) {
                String key = "`" + SNAKE_CASE.translate(component.getName()) + "`";
                String value = "`" + format(read(component, defaults)) + "`";
                if (!value.equals(rows.get(key))) {
                    missing.add(provider.id() + ": | " + key + " | " + value + " | (README has " + rows.get(key) + ")");
                }
            }
            if (!readme.contains("| [`" + provider.id() + "`]")) {
                missing.add(provider.id() + ": overview row | [`" + provider.id() + "`](#...) |");
            }
        }
        assertThat(missing).as("README.md rows missing or with another default").isEmpty();
    }

    @Test
    void theReadmeListsNoFieldAConfigDoesNotHave() throws IOException {
        String readme = readme();
        List<String> extra = new ArrayList<>();
        for (MethodProvider<?> provider : providers()) {
            List<String> keys = new ArrayList<>();
            for (RecordComponent component : provider.defaults().getClass().getRecordComponents()) {
                keys.add("`" + SNAKE_CASE.translate(component.getName()) + "`");
            }
            fieldRows(readme, provider.id()).keySet().stream().filter(key -> !keys.contains(key))
                    .forEach(key -> extra.add(provider.id() + ": " + key));
        }
        assertThat(extra).isEmpty();
    }

    /** {@code String.valueOf}, except that the empty string is written {@code ""} (empty code spans do not render). */
    private static String format(Object value) {
        return "".equals(value) ? "\"\"" : String.valueOf(value);
    }

    private static Object read(RecordComponent component, Record record) {
        try {
            return component.getAccessor().invoke(record);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
