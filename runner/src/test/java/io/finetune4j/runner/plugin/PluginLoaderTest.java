package io.finetune4j.runner.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.PluginLoadException;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.runner.testing.BundleJars;
import io.finetune4j.runner.testing.ServicesHidingLoader;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginLoaderTest {
    @TempDir
    Path temp;

    /** A method provider whose description reports what its class loader sees. */
    private static String methodSource(String pkg, String className, String id) {
        return """
                package %1$s;

                import io.finetune4j.api.method.Method;
                import io.finetune4j.api.method.MethodContext;
                import io.finetune4j.api.method.MethodProvider;

                public final class %2$s implements MethodProvider<%2$s.Settings> {
                    public record Settings(int r) {}

                    @Override public String id() { return "%3$s"; }

                    @Override public Settings defaults() { return new Settings(8); }

                    @Override
                    public String description() {
                        boolean guice;
                        try {
                            Class.forName("com.google.inject.Guice", false, getClass().getClassLoader());
                            guice = true;
                        } catch (ClassNotFoundException e) {
                            guice = false;
                        }
                        boolean ownContext = Thread.currentThread().getContextClassLoader() == getClass().getClassLoader();
                        return "greeting=" + Greeting.text() + ";guice=" + guice + ";tccl=" + ownContext;
                    }

                    @Override
                    public Method create(Settings settings, MethodContext context) {
                        throw new UnsupportedOperationException("not in this test");
                    }
                }
                """.formatted(pkg, className, id);
    }

    private static String greetingSource(String pkg, String text) {
        return "package " + pkg + ";\npublic final class Greeting {\n"
                + "    public static String text() { return \"" + text + "\"; }\n}\n";
    }

    private Path methodBundle(Path jar, String pkg, String className, String id, String greeting) {
        return BundleJars.builder()
                .source(pkg + "." + className, methodSource(pkg, className, id))
                .source(pkg + ".Greeting", greetingSource(pkg, greeting))
                .service(MethodProvider.class, pkg + "." + className)
                .writeTo(jar);
    }

    private Path pluginsDir() throws Exception {
        return Files.createDirectories(temp.resolve("plugins"));
    }

    private static ClassLoader runnerWithout(Path... builtinJars) throws Exception {
        URL[] urls = new URL[builtinJars.length];
        for (int i = 0; i < urls.length; i++) {
            urls[i] = builtinJars[i].toUri().toURL();
        }
        return new URLClassLoader("runner", urls, new ServicesHidingLoader(PluginLoaderTest.class.getClassLoader()));
    }

    @Test
    void registersBundlesInSortedOrderWithTheirFileNames() throws Exception {
        Path plugins = pluginsDir();
        methodBundle(plugins.resolve("zeta.jar"), "com.example.zeta", "ZetaProvider", "zeta", "z");
        methodBundle(plugins.resolve("alpha").resolve("alpha-core.jar"), "com.example.alpha", "AlphaProvider", "alpha", "a");
        Files.writeString(plugins.resolve("README.txt"), "not a bundle");

        try (LoadedPlugins loaded = PluginLoader.load(runnerWithout(), plugins)) {
            assertThat(loaded.all()).containsExactly(
                    new PluginInfo(PluginKind.METHOD, "alpha", "dev", "alpha", "com.example.alpha.AlphaProvider"),
                    new PluginInfo(PluginKind.METHOD, "zeta", "dev", "zeta.jar", "com.example.zeta.ZetaProvider"));
            assertThat(loaded.methods()).containsOnlyKeys("alpha", "zeta");
            assertThat(loaded.objectives()).isEmpty();
            assertThat(loaded.evaluators()).isEmpty();
        }
    }

    @Test
    void eachBundleSeesItsOwnClassesTheSharedApiAndNotTheRunner() throws Exception {
        Path plugins = pluginsDir();
        // The same class name with different code in two bundles: each must get its own.
        methodBundle(plugins.resolve("one.jar"), "com.example.same", "OneProvider", "one", "from one");
        BundleJars.builder()
                .source("com.example.same.TwoProvider", methodSource("com.example.same", "TwoProvider", "two"))
                .source("com.example.same.Greeting", greetingSource("com.example.same", "from two"))
                .service(MethodProvider.class, "com.example.same.TwoProvider")
                .writeTo(plugins.resolve("two.jar"));

        try (LoadedPlugins loaded = PluginLoader.load(runnerWithout(), plugins)) {
            assertThat(loaded.methods().get("one").description()).isEqualTo("greeting=from one;guice=false;tccl=true");
            assertThat(loaded.methods().get("two").description()).isEqualTo("greeting=from two;guice=false;tccl=true");
            // The wrappers implement the runner's own SPI types: the API is shared, not copied.
            assertThat(loaded.methods().get("one")).isInstanceOf(MethodProvider.class);
        }
    }

    @Test
    void pluginCallsRestoreTheCallersContextLoader() throws Exception {
        Path plugins = pluginsDir();
        methodBundle(plugins.resolve("one.jar"), "com.example.one", "OneProvider", "one", "1");
        ClassLoader before = Thread.currentThread().getContextClassLoader();

        try (LoadedPlugins loaded = PluginLoader.load(runnerWithout(), plugins)) {
            loaded.methods().get("one").description();
        }

        assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(before);
    }

    @Test
    void duplicateIdNamesBothBundles() throws Exception {
        Path builtin = methodBundle(temp.resolve("lib").resolve("plugins-peft-0.1.0-SNAPSHOT.jar"),
                "com.example.peft", "LoraProvider", "lora", "built in");
        Path plugins = pluginsDir();
        methodBundle(plugins.resolve("my-lora.jar"), "com.example.mine", "MyLoraProvider", "lora", "mine");

        assertThatThrownBy(() -> PluginLoader.load(runnerWithout(builtin), plugins))
                .isInstanceOf(PluginLoadException.class)
                .hasMessage("duplicate method id 'lora' in bundles plugins-peft-0.1.0-SNAPSHOT.jar and my-lora.jar");
    }

    @Test
    void sameIdOfDifferentKindsIsAllowed() throws Exception {
        Path plugins = pluginsDir();
        methodBundle(plugins.resolve("a.jar"), "com.example.a", "RewardMethod", "reward", "a");
        BundleJars.builder()
                .source("com.example.b.RewardEvaluator", """
                        package com.example.b;

                        import io.finetune4j.api.eval.Evaluator;
                        import io.finetune4j.api.eval.EvaluatorProvider;

                        public final class RewardEvaluator implements EvaluatorProvider<RewardEvaluator.Settings> {
                            public record Settings() {}
                            @Override public String id() { return "reward"; }
                            @Override public Settings defaults() { return new Settings(); }
                            @Override public Evaluator create(Settings settings) { return context -> java.util.List.of(); }
                        }
                        """)
                .service(EvaluatorProvider.class, "com.example.b.RewardEvaluator")
                .writeTo(plugins.resolve("b.jar"));

        try (LoadedPlugins loaded = PluginLoader.load(runnerWithout(), plugins)) {
            assertThat(loaded.all()).extracting(PluginInfo::kind, PluginInfo::id)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(PluginKind.METHOD, "reward"),
                            org.assertj.core.groups.Tuple.tuple(PluginKind.EVALUATOR, "reward"));
        }
    }

    @Test
    void rejectsABundleWithoutProviders() throws Exception {
        Path plugins = pluginsDir();
        BundleJars.builder()
                .source("com.example.empty.Helper", "package com.example.empty;\npublic final class Helper {}\n")
                .writeTo(plugins.resolve("empty.jar"));

        assertThatThrownBy(() -> PluginLoader.load(runnerWithout(), plugins))
                .isInstanceOf(PluginLoadException.class)
                .hasMessage("bundle empty.jar has no providers: it lists none in "
                        + "META-INF/services/io.finetune4j.api.method.MethodProvider, "
                        + "io.finetune4j.api.objective.ObjectiveProvider, io.finetune4j.api.eval.EvaluatorProvider or io.finetune4j.api.reward.RewardFunctionProvider");
    }

    @Test
    void rejectsABundleDirectoryWithoutJars() throws Exception {
        Path plugins = pluginsDir();
        Files.createDirectories(plugins.resolve("hollow"));

        assertThatThrownBy(() -> PluginLoader.load(runnerWithout(), plugins))
                .isInstanceOf(PluginLoadException.class)
                .hasMessage("bundle hollow has no jar files (" + plugins.resolve("hollow").toAbsolutePath() + ")");
    }

    @Test
    void namesBundleClassAndCauseWhenAConstructorThrows() throws Exception {
        Path plugins = pluginsDir();
        BundleJars.builder()
                .source("com.example.broken.BrokenProvider", """
                        package com.example.broken;

                        import io.finetune4j.api.method.Method;
                        import io.finetune4j.api.method.MethodContext;
                        import io.finetune4j.api.method.MethodProvider;

                        public final class BrokenProvider implements MethodProvider<BrokenProvider.Settings> {
                            public record Settings() {}

                            public BrokenProvider() {
                                throw new IllegalStateException("no licence key");
                            }

                            @Override public String id() { return "broken"; }
                            @Override public Settings defaults() { return new Settings(); }
                            @Override public Method create(Settings settings, MethodContext context) { return null; }
                        }
                        """)
                .service(MethodProvider.class, "com.example.broken.BrokenProvider")
                .writeTo(plugins.resolve("broken.jar"));

        assertThatThrownBy(() -> PluginLoader.load(runnerWithout(), plugins))
                .isInstanceOf(PluginLoadException.class)
                .hasMessage("bundle broken.jar: provider com.example.broken.BrokenProvider could not be created: "
                        + "java.lang.IllegalStateException: no licence key")
                .cause().isInstanceOf(IllegalStateException.class).hasMessage("no licence key");
    }

    @Test
    void aJarThatIsNotAZipIsNamedAsSuch() throws Exception {
        Path plugins = pluginsDir();
        Files.writeString(plugins.resolve("truncated.jar"), "<html>404 Not Found</html>");

        assertThatThrownBy(() -> PluginLoader.load(runnerWithout(), plugins))
                .isInstanceOf(PluginLoadException.class)
                .hasMessageStartingWith("bundle truncated.jar: " + plugins.resolve("truncated.jar").toAbsolutePath()
                        + " is not a jar (not a zip archive: ");
    }

    @Test
    void aFailingStaticInitializerKeepsItsCause() throws Exception {
        Path plugins = pluginsDir();
        BundleJars.builder()
                .source("com.example.statik.StaticProvider", """
                        package com.example.statik;

                        import io.finetune4j.api.method.Method;
                        import io.finetune4j.api.method.MethodContext;
                        import io.finetune4j.api.method.MethodProvider;

                        public final class StaticProvider implements MethodProvider<StaticProvider.Settings> {
                            public record Settings() {}

                            private static final int LIMIT = Integer.parseInt(System.getProperty("no.such.limit", "x"));

                            @Override public String id() { return "static"; }
                            @Override public Settings defaults() { return new Settings(); }
                            @Override public Method create(Settings settings, MethodContext context) { return null; }
                        }
                        """)
                .service(MethodProvider.class, "com.example.statik.StaticProvider")
                .writeTo(plugins.resolve("static.jar"));

        assertThatThrownBy(() -> PluginLoader.load(runnerWithout(), plugins))
                .isInstanceOf(PluginLoadException.class)
                .hasMessage("bundle static.jar: provider com.example.statik.StaticProvider could not be created: its "
                        + "static initializer threw java.lang.NumberFormatException: For input string: \"x\"")
                .cause().isInstanceOf(NumberFormatException.class);
    }

    @Test
    void aProviderWhoseCreateThrowsIsAPluginError() throws Exception {
        Path plugins = pluginsDir();
        BundleJars.builder()
                .source("com.example.fails.FailingProvider", """
                        package com.example.fails;

                        import io.finetune4j.api.method.Method;
                        import io.finetune4j.api.method.MethodContext;
                        import io.finetune4j.api.method.MethodProvider;

                        public final class FailingProvider implements MethodProvider<FailingProvider.Settings> {
                            public record Settings() {}

                            @Override public String id() { return "fails"; }
                            @Override public Settings defaults() { return new Settings(); }
                            @Override public Method create(Settings settings, MethodContext context) {
                                throw new UnsupportedOperationException("GPU only");
                            }
                        }
                        """)
                .service(MethodProvider.class, "com.example.fails.FailingProvider")
                .writeTo(plugins.resolve("fails.jar"));

        try (LoadedPlugins loaded = PluginLoader.load(runnerWithout(), plugins)) {
            var provider = loaded.methods().get("fails");
            var choice = new io.finetune4j.runner.config.PluginChoice<io.finetune4j.api.method.MethodProvider<?>>(
                    "fails", provider, provider.defaults());
            assertThatThrownBy(() -> io.finetune4j.runner.config.PluginCalls.createMethod(choice, null))
                    .isInstanceOf(PluginLoadException.class)
                    .hasMessage("method 'fails' (com.example.fails.FailingProvider from fails.jar) failed in create(): "
                            + "java.lang.UnsupportedOperationException: GPU only");
        }
    }

    /** A method provider whose description names {@code runtimeClass}, so describing it loads that class. */
    private static String runtimeUserSource(String runtimeClass) {
        return """
                package com.example.fenced;

                import io.finetune4j.api.method.Method;
                import io.finetune4j.api.method.MethodContext;
                import io.finetune4j.api.method.MethodProvider;

                public final class FencedProvider implements MethodProvider<FencedProvider.Settings> {
                    public record Settings() {}

                    @Override public String id() { return "fenced"; }
                    @Override public Settings defaults() { return new Settings(); }
                    @Override public String description() { return %s.class.getName(); }
                    @Override public Method create(Settings settings, MethodContext context) { return null; }
                }
                """.formatted(runtimeClass);
    }

    private void runtimeUserBundle(Path plugins, String runtimeClass) {
        BundleJars.builder()
                .source("com.example.fenced.FencedProvider", runtimeUserSource(runtimeClass))
                .service(MethodProvider.class, "com.example.fenced.FencedProvider")
                .writeTo(plugins.resolve("fenced.jar"));
    }

    @Test
    void aBundleUsingAnUnmarkedRuntimeClassFailsNamingIt() throws Exception {
        Path plugins = pluginsDir();
        runtimeUserBundle(plugins, "io.finetune4j.runtime.model.ModelLoader");

        try (LoadedPlugins loaded = PluginLoader.load(runnerWithout(), plugins)) {
            assertThatThrownBy(() -> loaded.methods().get("fenced").description())
                    .isInstanceOf(PluginLoadException.class)
                    .hasMessage("bundle fenced.jar uses io.finetune4j.runtime.model.ModelLoader, which is not part"
                            + " of the runtime's plugin surface; plugins may use only runtime classes marked"
                            + " @Stable or @Experimental");
        }
    }

    @Test
    void aBundleSharesTheRuntimesMarkedClasses() throws Exception {
        Path plugins = pluginsDir();
        runtimeUserBundle(plugins, "io.finetune4j.runtime.data.TokenizedExample");

        try (LoadedPlugins loaded = PluginLoader.load(runnerWithout(), plugins)) {
            assertThat(loaded.methods().get("fenced").description())
                    .isEqualTo("io.finetune4j.runtime.data.TokenizedExample");
        }
    }

    @Test
    void rejectsAnIdThatIsNotLowerCaseWords() throws Exception {
        Path plugins = pluginsDir();
        methodBundle(plugins.resolve("bad.jar"), "com.example.bad", "BadProvider", "My_Lora", "x");

        assertThatThrownBy(() -> PluginLoader.load(runnerWithout(), plugins))
                .isInstanceOf(PluginLoadException.class)
                .hasMessage("bundle bad.jar: provider com.example.bad.BadProvider has id 'My_Lora'; "
                        + "ids must match [a-z][a-z0-9-]*");
    }

    @Test
    void rejectsAMissingPluginsDirectory() {
        Path missing = temp.resolve("nowhere");

        assertThatThrownBy(() -> PluginLoader.load(getClass().getClassLoader(), missing))
                .isInstanceOf(PluginLoadException.class)
                .hasMessage("plugins directory " + missing.toAbsolutePath() + " does not exist");
    }

    @Test
    void classpathProvidersAreNamedAfterTheirJar() throws Exception {
        Path builtin = methodBundle(temp.resolve("lib").resolve("plugins-peft-0.1.0-SNAPSHOT.jar"),
                "com.example.peft", "LoraProvider", "lora", "built in");

        try (LoadedPlugins loaded = PluginLoader.load(runnerWithout(builtin), null)) {
            assertThat(loaded.all()).containsExactly(new PluginInfo(PluginKind.METHOD, "lora", "dev",
                    "plugins-peft-0.1.0-SNAPSHOT.jar", "com.example.peft.LoraProvider"));
            // Built-ins share the runner's loader, so they see everything the runner does.
            assertThat(loaded.methods().get("lora").description()).startsWith("greeting=built in;guice=true");
        }
        assertThat(PluginLoader.bundleNameOf(PluginLoaderTest.class)).isEqualTo("classpath");
        assertThat(PluginLoader.bundleNameOf(com.google.inject.Guice.class)).isEqualTo("guice-7.0.0.jar");
    }
}
