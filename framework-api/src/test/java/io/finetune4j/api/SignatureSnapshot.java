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
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Public signatures of the classes in one package tree, one sorted line per public type and per public or
 * protected member: the text {@code SpiSnapshotTest} (the API) and the runtime's plugin-surface snapshot pin.
 */
public final class SignatureSnapshot {
    private SignatureSnapshot() {}

    /**
     * The signatures of every public, non-anonymous class under {@code packagePath} (e.g.
     * {@code io/finetune4j/api}) in the output that holds {@code anchor}, keeping the types {@code keep} accepts.
     */
    public static List<String> signatures(Class<?> anchor, String packagePath, Predicate<Class<?>> keep)
            throws IOException, URISyntaxException, ClassNotFoundException {
        List<String> lines = new ArrayList<>();
        for (String className : classNames(anchor, packagePath)) {
            Class<?> type = Class.forName(className, false, anchor.getClassLoader());
            if (!Modifier.isPublic(type.getModifiers()) || type.isAnonymousClass() || type.isSynthetic()
                    || !keep.test(type)) {
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

    /**
     * Asserts that {@code lines} equal the checked-in {@code snapshot}; with {@code -D<updateProperty>=true}
     * it first rewrites the file. {@code what} names the surface in the failure ("The public SPI").
     */
    public static void assertMatches(List<String> lines, Path snapshot, String updateProperty, String what)
            throws IOException {
        String actual = String.join("\n", lines) + "\n";
        if (Boolean.getBoolean(updateProperty)) {
            Files.writeString(snapshot, actual, StandardCharsets.UTF_8);
        }
        assertThat(snapshot).as("%s is missing; run with -D%s=true to create it", snapshot, updateProperty)
                .exists();
        assertThat(actual)
                .as("%s changed. If deliberate, rerun with -D%s=true and commit %s.", what, updateProperty, snapshot)
                .isEqualTo(Files.readString(snapshot, StandardCharsets.UTF_8));
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

    /** Binary names of every class under {@code packagePath} in {@code anchor}'s output (a directory or a jar). */
    private static List<String> classNames(Class<?> anchor, String packagePath)
            throws IOException, URISyntaxException {
        Path root = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isDirectory(root)) {
            return classNames(root, packagePath);
        }
        try (FileSystem jar = FileSystems.newFileSystem(root, Map.of())) {
            return classNames(jar.getPath("/"), packagePath);
        }
    }

    private static List<String> classNames(Path root, String packagePath) throws IOException {
        try (Stream<Path> files = Files.walk(root.resolve(packagePath))) {
            return files.filter(file -> file.toString().endsWith(".class"))
                    .map(file -> root.relativize(file).toString().replace('/', '.'))
                    .map(name -> name.substring(0, name.length() - ".class".length()))
                    .sorted()
                    .toList();
        }
    }
}
