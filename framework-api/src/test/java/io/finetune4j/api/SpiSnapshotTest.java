package io.finetune4j.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Pins the public signatures of every {@code io.finetune4j.api} type to {@code src/test/resources/spi-snapshot.txt}.
 * A failure here means the SPI changed: if that was deliberate, regenerate the file with
 * <pre>
 *   mvn -pl framework-api test -Dtest=SpiSnapshotTest -Dft4j.updateSpiSnapshot=true
 * </pre>
 * and commit it in the SPI change's own pull request (STYLE.md §9).
 */
class SpiSnapshotTest {
    private static final String UPDATE_PROPERTY = "ft4j.updateSpiSnapshot";
    private static final Path SNAPSHOT = Path.of("src/test/resources/spi-snapshot.txt");

    @Test
    void publicSignaturesMatchTheSnapshot() throws Exception {
        String actual = String.join("\n", signatures()) + "\n";

        if (Boolean.getBoolean(UPDATE_PROPERTY)) {
            Files.writeString(SNAPSHOT, actual, StandardCharsets.UTF_8);
        }
        assertThat(SNAPSHOT).as("%s is missing; run with -D%s=true to create it", SNAPSHOT, UPDATE_PROPERTY)
                .exists();
        assertThat(actual)
                .as("The public SPI changed. If deliberate, rerun with -D%s=true and commit %s.",
                        UPDATE_PROPERTY, SNAPSHOT)
                .isEqualTo(Files.readString(SNAPSHOT, StandardCharsets.UTF_8));
    }

    /** One sorted line per public type and per public or protected member, prefixed by the type's name. */
    static List<String> signatures() throws IOException, URISyntaxException, ClassNotFoundException {
        List<String> lines = new ArrayList<>();
        for (String className : apiClassNames()) {
            Class<?> type = Class.forName(className, false, SpiSnapshotTest.class.getClassLoader());
            if (!Modifier.isPublic(type.getModifiers()) || type.isAnonymousClass() || type.isSynthetic()) {
                continue;
            }
            String prefix = type.getName() + " | ";
            lines.add(prefix + type.toGenericString() + supertypes(type));
            for (Constructor<?> constructor : type.getDeclaredConstructors()) {
                addIfVisible(lines, prefix, constructor, constructor.toGenericString());
            }
            for (Method method : type.getDeclaredMethods()) {
                if (!method.isBridge()) {
                    addIfVisible(lines, prefix, method, method.toGenericString());
                }
            }
            for (Field field : type.getDeclaredFields()) {
                addIfVisible(lines, prefix, field, field.toGenericString());
            }
        }
        lines.sort(null);
        return lines;
    }

    private static void addIfVisible(List<String> lines, String prefix, Member member, String signature) {
        int modifiers = member.getModifiers();
        if (!member.isSynthetic() && (Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers))) {
            lines.add(prefix + signature);
        }
    }

    private static String supertypes(Class<?> type) {
        StringBuilder text = new StringBuilder();
        if (type.getGenericSuperclass() != null && type.getSuperclass() != Object.class
                && !type.isEnum() && !type.isRecord()) {
            text.append(" extends ").append(type.getGenericSuperclass().getTypeName());
        }
        var interfaces = type.getGenericInterfaces();
        if (interfaces.length > 0) {
            text.append(type.isInterface() ? " extends " : " implements ");
            for (int i = 0; i < interfaces.length; i++) {
                text.append(i == 0 ? "" : ", ").append(interfaces[i].getTypeName());
            }
        }
        if (type.isSealed()) {
            text.append(" permits ");
            Class<?>[] permitted = type.getPermittedSubclasses();
            for (int i = 0; i < permitted.length; i++) {
                text.append(i == 0 ? "" : ", ").append(permitted[i].getName());
            }
        }
        return text.toString();
    }

    /** Binary names of every class under io/finetune4j/api in the main output (a directory or a jar). */
    private static List<String> apiClassNames() throws IOException, URISyntaxException {
        Path root = Path.of(ConfigException.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isDirectory(root)) {
            return classNames(root);
        }
        try (FileSystem jar = FileSystems.newFileSystem(root, Map.of())) {
            return classNames(jar.getPath("/"));
        }
    }

    private static List<String> classNames(Path root) throws IOException {
        Path api = root.resolve("io/finetune4j/api");
        try (Stream<Path> files = Files.walk(api)) {
            return files.filter(file -> file.toString().endsWith(".class"))
                    .map(file -> root.relativize(file).toString().replace('/', '.'))
                    .map(name -> name.substring(0, name.length() - ".class".length()))
                    .sorted()
                    .toList();
        }
    }
}
