package io.finetune4j.runner.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Builds plugin bundle jars for tests: compiles small Java sources with {@link JavaCompiler} against
 * the API and DJL jars of the test classpath and packs them with their {@code META-INF/services} files.
 */
public final class BundleJars {
    private final Map<String, String> sources = new LinkedHashMap<>();
    private final Map<String, List<String>> services = new LinkedHashMap<>();
    private final Map<String, String> resources = new LinkedHashMap<>();

    public static BundleJars builder() {
        return new BundleJars();
    }

    /** Adds a source; {@code className} is fully qualified. */
    public BundleJars source(String className, String code) {
        sources.put(className, code);
        return this;
    }

    /** Lists {@code providerClass} in {@code META-INF/services/<spi>}. */
    public BundleJars service(Class<?> spi, String providerClass) {
        services.computeIfAbsent(spi.getName(), key -> new ArrayList<>()).add(providerClass);
        return this;
    }

    public BundleJars resource(String path, String text) {
        resources.put(path, text);
        return this;
    }

    /** Compiles and writes the jar to {@code jar}. */
    public Path writeTo(Path jar) {
        try {
            Path work = Files.createTempDirectory("ft4j-bundle-");
            Path src = Files.createDirectories(work.resolve("src"));
            Path classes = Files.createDirectories(work.resolve("classes"));
            List<String> files = new ArrayList<>();
            for (Map.Entry<String, String> source : sources.entrySet()) {
                Path file = src.resolve(source.getKey().replace('.', '/') + ".java");
                Files.createDirectories(file.getParent());
                Files.writeString(file, source.getValue());
                files.add(file.toString());
            }
            if (!files.isEmpty()) {
                compile(files, classes);
            }
            Files.createDirectories(jar.getParent());
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
                try (Stream<Path> walk = Files.walk(classes)) {
                    for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
                        put(out, classes.relativize(file).toString().replace('\\', '/'), Files.readAllBytes(file));
                    }
                }
                for (Map.Entry<String, List<String>> service : services.entrySet()) {
                    put(out, "META-INF/services/" + service.getKey(),
                            (String.join("\n", service.getValue()) + "\n").getBytes(StandardCharsets.UTF_8));
                }
                for (Map.Entry<String, String> resource : resources.entrySet()) {
                    put(out, resource.getKey(), resource.getValue().getBytes(StandardCharsets.UTF_8));
                }
            }
            deleteTree(work);
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static void put(JarOutputStream out, String name, byte[] bytes) throws IOException {
        out.putNextEntry(new JarEntry(name));
        out.write(bytes);
        out.closeEntry();
    }

    private static void compile(List<String> files, Path classes) {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        assertThat(compiler).as("a JDK with javax.tools").isNotNull();
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-classpath", compileClasspath(),
                "--release", "17", "-proc:none"));
        args.addAll(files);
        OutputStream errors = new java.io.ByteArrayOutputStream();
        int status = compiler.run(null, errors, errors, args.toArray(String[]::new));
        assertThat(status).as("javac output: %s", errors).isZero();
    }

    /** The jars (or class directories) of the API, the runtime and DJL, taken from where the test classes came from. */
    public static String compileClasspath() {
        return String.join(java.io.File.pathSeparator,
                locationOf(io.finetune4j.api.PluginProvider.class),
                locationOf(io.finetune4j.runtime.data.TokenizedExample.class),
                locationOf(ai.djl.ndarray.NDArray.class));
    }

    public static String locationOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
