package io.finetune4j.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.runner.testing.BundleJars;
import io.finetune4j.runner.testing.PipelineFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user meets it: exit codes and what lands on each stream. */
class MainTest {
    @TempDir
    Path temp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int ft4j(String... args) {
        return ft4j(Optional.empty(), args);
    }

    private int ft4j(Optional<Path> home, String... args) {
        return new Main(new PrintWriter(out, true), new PrintWriter(err, true), home).execute(args);
    }

    /** A user error is one paragraph: no blank line and no stack trace. */
    private void assertOneParagraph(String text) {
        assertThat(text).startsWith("ft4j: ").doesNotContain("\n\n").doesNotContain("\tat ");
    }

    @Test
    void missingPipelineFileIsAUserError() {
        int code = ft4j("run", "missing.yaml");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("ft4j: no such pipeline file: missing.yaml (resolved to "
                + Path.of("missing.yaml").toAbsolutePath() + ")\n");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void invalidPipelineListsEveryProblemInOneParagraph() {
        PipelineFixture fixture = new PipelineFixture(temp);
        Path pipeline = fixture.pipeline("""
                stages:
                  - {name: sft, base: models/tiny, method: {id: lora, r: 0}, objective: sfft, data: {train: data/train.jsonl}}
                """);

        int code = ft4j("run", pipeline.toString());

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("""
                ft4j: 2 problems:
                  1. stages[0].method.r: must be > 0, was 0
                  2. stages[0].objective.id: unknown objective 'sfft'; known: [cpo, dpo, grpo, kto, orpo, ppo, reward, sft, simpo]; did you mean 'sft'?
                """);
        assertOneParagraph(err.toString());
    }

    @Test
    void unknownSubcommandIsAUsageError() {
        int code = ft4j("frobnicate");

        assertThat(code).isEqualTo(2);
        assertOneParagraph(err.toString());
        assertThat(err.toString()).contains("'frobnicate'").endsWith("see: ft4j --help\n");
    }

    @Test
    void scoreNeedsTextOrIds() {
        int code = ft4j("score", "--model", temp.toString());

        assertThat(code).isEqualTo(2);
        assertOneParagraph(err.toString());
        assertThat(err.toString()).contains("--text").contains("--ids").endsWith("see: ft4j score --help\n");
    }

    @Test
    void missingModelDirectoryIsAUserError() {
        int code = ft4j("generate", "--model", temp.resolve("nowhere").toString(), "--prompt", "hi");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("ft4j: --model: no such model directory: " + temp.resolve("nowhere") + "\n");
    }

    @Test
    void samplingOptionsWithoutATemperatureAreRejected() {
        int code = ft4j("generate", "--model", temp.toString(), "--prompt", "hi", "--top-k", "5");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).isEqualTo(
                "ft4j: --top-k: only applies when sampling; add --temperature T (without it decoding is greedy)\n");
    }

    @Test
    void missingPluginsDirectoryIsAUserErrorWhereverTheOptionStands() {
        Path missing = temp.resolve("no-plugins");

        assertThat(ft4j("--plugins-dir", missing.toString(), "plugins")).isEqualTo(2);
        assertThat(ft4j("plugins", "--plugins-dir", missing.toString())).isEqualTo(2);
        assertThat(err.toString()).isEqualTo(
                ("ft4j: plugins directory " + missing.toAbsolutePath() + " does not exist\n").repeat(2));
    }

    @Test
    void pluginsListsTheBuiltInsAndBundlesOfTheLaunchersPluginsDirectory() throws Exception {
        Path home = temp.resolve("home");
        BundleJars.builder()
                .source("com.example.extra.ExtraProvider", """
                        package com.example.extra;

                        import io.finetune4j.api.method.Method;
                        import io.finetune4j.api.method.MethodContext;
                        import io.finetune4j.api.method.MethodProvider;

                        public final class ExtraProvider implements MethodProvider<ExtraProvider.Settings> {
                            public record Settings() {}
                            @Override public String id() { return "extra"; }
                            @Override public String version() { return "1.2.3"; }
                            @Override public Settings defaults() { return new Settings(); }
                            @Override public Method create(Settings settings, MethodContext context) { return null; }
                        }
                        """)
                .service(MethodProvider.class, "com.example.extra.ExtraProvider")
                .writeTo(home.resolve("plugins").resolve("extra-plugin.jar"));

        int code = ft4j(Optional.of(home), "plugins");

        assertThat(code).isZero();
        String[] lines = out.toString().split("\n");
        assertThat(lines[0]).matches("ID +KIND +VERSION +BUNDLE");
        assertThat(out.toString())
                .containsPattern("(?m)^extra +method +1\\.2\\.3 +extra-plugin\\.jar$")
                .containsPattern("(?m)^lora +method ")
                .containsPattern("(?m)^sft +objective ")
                .containsPattern("(?m)^perplexity +evaluator ");
    }

    @Test
    void aBrokenBundleIsAUserErrorNamingIt() throws Exception {
        Path plugins = Files.createDirectories(temp.resolve("plugins"));
        BundleJars.builder()
                .source("com.example.Nothing", "package com.example;\npublic final class Nothing {}\n")
                .writeTo(plugins.resolve("nothing.jar"));

        int code = ft4j("--plugins-dir", plugins.toString(), "plugins");

        assertThat(code).isEqualTo(2);
        assertOneParagraph(err.toString());
        assertThat(err.toString()).startsWith("ft4j: bundle nothing.jar has no providers");
    }

    @Test
    void aBugInAPluginIsAnInternalErrorWithItsStackTrace() throws Exception {
        Path plugins = Files.createDirectories(temp.resolve("plugins"));
        BundleJars.builder()
                .source("com.example.buggy.BuggyProvider", """
                        package com.example.buggy;

                        import io.finetune4j.api.ConfigProblems;
                        import io.finetune4j.api.method.Method;
                        import io.finetune4j.api.method.MethodContext;
                        import io.finetune4j.api.method.MethodProvider;

                        public final class BuggyProvider implements MethodProvider<BuggyProvider.Settings> {
                            public record Settings(int size) {}
                            @Override public String id() { return "buggy"; }
                            @Override public Settings defaults() { return new Settings(1); }
                            @Override public void validate(Settings settings, ConfigProblems problems) {
                                throw new IllegalStateException("validate is broken");
                            }
                            @Override public Method create(Settings settings, MethodContext context) { return null; }
                        }
                        """)
                .service(MethodProvider.class, "com.example.buggy.BuggyProvider")
                .writeTo(plugins.resolve("buggy.jar"));
        PipelineFixture fixture = new PipelineFixture(temp.resolve("project"));
        Path pipeline = fixture.pipeline("""
                stages:
                  - {name: a, base: models/tiny, method: buggy, objective: sft, data: {train: data/train.jsonl}}
                """);

        int code = ft4j("run", pipeline.toString(), "--plugins-dir", plugins.toString());

        assertThat(code).isEqualTo(1);
        assertThat(err.toString())
                .startsWith("ft4j: internal error (a bug; please report it with this trace): "
                        + "java.lang.IllegalStateException: validate is broken\n")
                .contains("com.example.buggy.BuggyProvider.validate(BuggyProvider.java:");
    }

    @Test
    void helpGoesToStandardOutput() {
        int code = ft4j("--help");

        assertThat(code).isZero();
        assertThat(out.toString()).startsWith("Usage: ft4j").contains("run").contains("generate")
                .contains("score").contains("plugins");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void helpSubcommandShowsTheSubcommandsUsage() {
        int code = ft4j("help", "run");

        assertThat(code).isZero();
        assertThat(out.toString()).startsWith("Usage: ft4j run");
    }

    @Test
    void noSubcommandShowsUsageAsAnError() {
        int code = ft4j();

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).startsWith("Usage: ft4j");
    }
}
