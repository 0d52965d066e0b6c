package io.finetune4j.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.runner.testing.TinyProject;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds {@code examples/custom-plugin} the way a plugin author would ({@code mvn -q -o -B package}, in a
 * copy), drops its jar into a plugins directory and runs a pipeline that uses its {@code token-count}
 * evaluator. Skipped when {@code mvn} is not on the PATH.
 */
class CustomPluginExampleTest {
    @TempDir
    Path temp;

    @Test
    void examplePluginBuildsLoadsAndEvaluatesInAPipeline() throws Exception {
        Path mvn = onPath("mvn");
        Assumptions.assumeTrue(mvn != null, "mvn is not on the PATH: cannot build examples/custom-plugin");
        Path jar = build(mvn, copy(repositoryRoot().resolve("examples/custom-plugin"), temp.resolve("custom-plugin")));
        Path plugins = Files.createDirectories(temp.resolve("plugins"));
        Files.copy(jar, plugins.resolve(jar.getFileName()));

        StringWriter listing = new StringWriter();
        int listed = new Main(new PrintWriter(listing, true), new PrintWriter(new StringWriter(), true), Optional.empty())
                .execute("plugins", "--plugins-dir", plugins.toString());
        assertThat(listed).isZero();
        assertThat(listing.toString()).containsPattern("(?m)^token-count +evaluator +0\\.1\\.0 +token-count-plugin-0\\.1\\.0\\.jar$");

        TinyProject project = new TinyProject(temp.resolve("project"));
        Path pipeline = project.write("pipeline.yaml", """
                stages:
                  - name: sft
                    base: {init: model/config.json, tokenizer: tok}
                    method: {id: lora, r: 2}
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 1, batch_size: 2, max_length: 32}
                    evaluators:
                      - {id: token-count, data: data/heldout.jsonl, when: [before, after]}
                      - {id: token-count, data: data/train.jsonl, part: completion}
                """);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new Main(new PrintWriter(out, true), new PrintWriter(err, true), Optional.empty()).execute(
                "run", pipeline.toString(), "--output", temp.resolve("run").toString(),
                "--plugins-dir", plugins.toString(), "--device", "cpu");

        assertThat(code).as("stderr: %s", err).isZero();
        // A byte-level tokenizer without merges has one token per UTF-8 byte.
        double heldoutMean = Stream.of("1+1=2", "two plus two", "3+1=4", "abc")
                .mapToInt(text -> text.getBytes(StandardCharsets.UTF_8).length).average().orElseThrow();
        assertThat(out.toString()).contains("tokens_per_example [heldout.jsonl]: 6.25 [").contains("(+0.0%)");
        JsonNode metrics = new ObjectMapper().readTree(temp.resolve("run/sft/metrics.json").toFile());
        assertThat(metrics.at("/evaluators/0/before/tokens_per_example/value").asDouble()).isCloseTo(heldoutMean, within(1e-12));
        assertThat(metrics.at("/evaluators/0/after/tokens_per_example/value").asDouble()).isCloseTo(heldoutMean, within(1e-12));
        // Completions "1".."6" are one byte each: every resample has mean 1, so the interval has no width.
        JsonNode completions = metrics.at("/evaluators/1/after/tokens_per_example");
        assertThat(completions.get("value").asDouble()).isEqualTo(1.0);
        assertThat(completions.get("ci_low").asDouble()).isEqualTo(1.0);
        assertThat(completions.get("ci_high").asDouble()).isEqualTo(1.0);
    }

    private static Path build(Path mvn, Path project) throws IOException, InterruptedException {
        Path log = project.resolve("build.log");
        List<String> command = new ArrayList<>(List.of(mvn.toString(), "-q", "-o", "-B", "package"));
        String repository = System.getProperty("finetune4j.mavenRepo", "");
        if (!repository.isBlank()) {
            command.add("-Dmaven.repo.local=" + repository);     // the repository this build resolved into
        }
        Process process = new ProcessBuilder(command)
                .directory(project.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("mvn package of the example plugin did not finish in 5 minutes");
        }
        String output = Files.readString(log);
        if (process.exitValue() != 0) {
            Assumptions.assumeFalse(output.contains("io.finetune4j:framework-api"),
                    "framework-api is not in the local Maven repository (run `mvn install` at the root first):\n" + output);
            throw new AssertionError("mvn package of the example plugin failed:\n" + output);
        }
        try (Stream<Path> jars = Files.list(project.resolve("target"))) {
            List<Path> built = jars.filter(path -> path.getFileName().toString().endsWith(".jar")).toList();
            assertThat(built).hasSize(1);
            return built.get(0);
        }
    }

    private static Path repositoryRoot() {
        String root = System.getProperty("finetune4j.root");
        // Surefire sets finetune4j.root; run from an IDE, the working directory is the runner module.
        return root != null ? Path.of(root) : Path.of("..").toAbsolutePath().normalize();
    }

    private static Path copy(Path source, Path target) throws IOException {
        try (Stream<Path> walk = Files.walk(source)) {
            for (Path path : walk.toList()) {
                Path relative = source.relativize(path);
                if (!relative.toString().isEmpty() && relative.getName(0).toString().startsWith("target")) {
                    continue;
                }
                Path destination = target.resolve(relative.toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(destination);
                } else {
                    Files.copy(path, destination);
                }
            }
        }
        return target;
    }

    private static Path onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, command);
            if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
