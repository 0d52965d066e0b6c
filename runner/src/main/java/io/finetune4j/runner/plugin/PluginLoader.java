package io.finetune4j.runner.plugin;

import io.finetune4j.api.PluginLoadException;
import io.finetune4j.api.PluginProvider;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.api.objective.ObjectiveProvider;
import io.finetune4j.api.reward.RewardFunctionProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds every method, objective and evaluator provider before the injector exists (STYLE.md §3): first
 * with {@link ServiceLoader} over the runner's own classpath (the built-in plugins; each provider's bundle
 * is named after the jar it came from, or {@code classpath}), then in each bundle of the plugins
 * directory, in sorted order: a {@code *.jar}, or a directory of jars, each with its own
 * {@link BundleClassLoader}. Any problem fails the whole load with a {@link PluginLoadException} that
 * names the bundle.
 */
public final class PluginLoader {
    private static final Logger LOG = LoggerFactory.getLogger(PluginLoader.class);
    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9-]*");
    private static final String CLASSPATH = "classpath";

    private PluginLoader() {}

    /**
     * Loads the providers visible to {@code runnerLoader} and those of the bundles in {@code pluginsDir}.
     *
     * @param pluginsDir a directory of bundles, or null for the classpath alone
     */
    public static LoadedPlugins load(ClassLoader runnerLoader, Path pluginsDir) {
        LoadedPlugins.Builder builder = new LoadedPlugins.Builder();
        try {
            registerClasspath(runnerLoader, builder);
            if (pluginsDir != null) {
                for (Path bundlePath : bundlePaths(pluginsDir)) {
                    registerBundle(bundlePath, runnerLoader, builder);
                }
            }
            return builder.build();
        } catch (RuntimeException | Error e) {
            builder.build().close();
            throw e;
        }
    }

    private static void registerClasspath(ClassLoader runnerLoader, LoadedPlugins.Builder builder) {
        for (PluginKind kind : PluginKind.values()) {
            for (ServiceLoader.Provider<? extends PluginProvider<?>> found : find(kind, runnerLoader, CLASSPATH)) {
                Bundle bundle = new Bundle(bundleNameOf(found.type()), runnerLoader);
                register(kind, found, bundle, builder);
            }
        }
    }

    private static void registerBundle(Path bundlePath, ClassLoader runnerLoader, LoadedPlugins.Builder builder) {
        String name = bundlePath.getFileName().toString();
        List<Path> jars = jarsOf(bundlePath);
        if (jars.isEmpty()) {
            throw new PluginLoadException("bundle " + name + " has no jar files (" + bundlePath.toAbsolutePath() + ")");
        }
        jars.forEach(jar -> requireZip(name, jar));
        BundleClassLoader loader = new BundleClassLoader(name, urls(jars), runnerLoader);
        builder.addBundleLoader(loader);
        Bundle bundle = new Bundle(name, loader);
        int before = builder.infos().size();
        for (PluginKind kind : PluginKind.values()) {
            for (ServiceLoader.Provider<? extends PluginProvider<?>> found : find(kind, loader, name)) {
                register(kind, found, bundle, builder);
            }
        }
        if (builder.infos().size() == before) {
            throw new PluginLoadException(String.format(
                    "bundle %s has no providers: it lists none in META-INF/services/%s, %s, %s or %s",
                    name, MethodProvider.class.getName(), ObjectiveProvider.class.getName(),
                    EvaluatorProvider.class.getName(), RewardFunctionProvider.class.getName()));
        }
    }

    private static List<ServiceLoader.Provider<? extends PluginProvider<?>>> find(
            PluginKind kind, ClassLoader loader, String bundleName) {
        try (ContextClassLoader ignored = ContextClassLoader.use(loader)) {
            return new ArrayList<>(ServiceLoader.load(kind.spi(), loader).stream().toList());
        } catch (ServiceConfigurationError | LinkageError e) {
            throw new PluginLoadException("bundle " + bundleName + ": cannot read its " + kind + " providers: "
                    + e.getMessage(), e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void register(PluginKind kind, ServiceLoader.Provider<? extends PluginProvider<?>> found,
                                 Bundle bundle, LoadedPlugins.Builder builder) {
        String className = found.type().getName();
        PluginProvider<?> provider = create(found, bundle, className);
        String id = callPlugin(bundle, className, "id()", provider::id);
        if (id == null || !ID.matcher(id).matches()) {
            throw new PluginLoadException(String.format(
                    "bundle %s: provider %s has id '%s'; ids must match [a-z][a-z0-9-]*", bundle.name(), className, id));
        }
        Optional<PluginInfo> clash = builder.infos().stream()
                .filter(info -> info.kind() == kind && info.id().equals(id))
                .findFirst();
        if (clash.isPresent()) {
            throw new PluginLoadException(String.format("duplicate %s id '%s' in bundles %s and %s",
                    kind, id, clash.get().bundle(), bundle.name()));
        }
        String version = callPlugin(bundle, className, "version()", provider::version);
        PluginInfo info = new PluginInfo(kind, id, version == null ? "dev" : version, bundle.name(), className);
        switch (kind) {
            case METHOD -> builder.addMethod(info,
                    new BundleMethodProvider<>((MethodProvider) provider, bundle, id, info.version()));
            case OBJECTIVE -> builder.addObjective(info,
                    new BundleObjectiveProvider<>((ObjectiveProvider) provider, bundle, id, info.version()));
            case EVALUATOR -> builder.addEvaluator(info,
                    new BundleEvaluatorProvider<>((EvaluatorProvider) provider, bundle, id, info.version()));
            case REWARD -> builder.addReward(info,
                    new BundleRewardFunctionProvider<>((RewardFunctionProvider) provider, bundle, id, info.version()));
        }
        LOG.debug("registered {} '{}' ({}) version {} from bundle {}", kind, id, className, info.version(), bundle.name());
    }

    private static PluginProvider<?> create(ServiceLoader.Provider<? extends PluginProvider<?>> found, Bundle bundle,
                                            String className) {
        try {
            return bundle.call(found::get);
        } catch (ServiceConfigurationError | LinkageError e) {
            // ServiceLoader wraps the constructor's exception, the JVM a static initializer's: report the plugin's own.
            Throwable cause = e instanceof ServiceConfigurationError && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof ExceptionInInitializerError init && init.getCause() != null) {
                throw new PluginLoadException(String.format("bundle %s: provider %s could not be created: its static "
                        + "initializer threw %s", bundle.name(), className, init.getCause()), init.getCause());
            }
            throw new PluginLoadException(String.format("bundle %s: provider %s could not be created: %s",
                    bundle.name(), className, cause), cause);
        }
    }

    /** A bundle's jar must be a zip archive; a truncated download or a renamed file is named as such. */
    private static void requireZip(String bundleName, Path jar) {
        try (ZipFile ignored = new ZipFile(jar.toFile())) {
            // readable
        } catch (ZipException e) {
            throw new PluginLoadException(String.format("bundle %s: %s is not a jar (not a zip archive: %s); "
                    + "replace it with the plugin's built jar or remove it", bundleName, jar.toAbsolutePath(),
                    e.getMessage()), e);
        } catch (IOException e) {
            throw new PluginLoadException(String.format("bundle %s: cannot read %s: %s", bundleName,
                    jar.toAbsolutePath(), e.getMessage()), e);
        }
    }

    private static <T> T callPlugin(Bundle bundle, String className, String what, Supplier<T> call) {
        try {
            return bundle.call(call);
        } catch (RuntimeException | LinkageError e) {
            throw new PluginLoadException(String.format("bundle %s: provider %s failed in %s: %s",
                    bundle.name(), className, what, e), e);
        }
    }

    /** The jar file name a class was loaded from, or {@code classpath} for a directory of classes. */
    static String bundleNameOf(Class<?> type) {
        CodeSource source = type.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            return CLASSPATH;
        }
        try {
            Path location = Path.of(source.getLocation().toURI());
            String name = location.getFileName() == null ? "" : location.getFileName().toString();
            return name.endsWith(".jar") ? name : CLASSPATH;
        } catch (URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            return CLASSPATH;
        }
    }

    /** The bundles of {@code dir}: its jars and subdirectories, sorted by name; hidden entries are skipped. */
    static List<Path> bundlePaths(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new PluginLoadException("plugins directory " + dir.toAbsolutePath() + " does not exist");
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries
                    .filter(path -> !path.getFileName().toString().startsWith("."))
                    .filter(path -> Files.isDirectory(path) || isJar(path))
                    .sorted(Comparator.comparing(path -> path.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list plugins directory " + dir.toAbsolutePath(), e);
        }
    }

    private static List<Path> jarsOf(Path bundlePath) {
        if (!Files.isDirectory(bundlePath)) {
            return List.of(bundlePath);
        }
        try (Stream<Path> entries = Files.list(bundlePath)) {
            return entries.filter(PluginLoader::isJar)
                    .sorted(Comparator.comparing(path -> path.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list plugin bundle " + bundlePath.toAbsolutePath(), e);
        }
    }

    private static boolean isJar(Path path) {
        return Files.isRegularFile(path) && path.getFileName().toString().endsWith(".jar");
    }

    private static URL[] urls(List<Path> jars) {
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) {
            try {
                urls[i] = jars.get(i).toUri().toURL();
            } catch (MalformedURLException e) {
                throw new PluginLoadException("cannot open plugin jar " + jars.get(i), e);
            }
        }
        return urls;
    }
}
