package io.finetune4j.runner.review;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.runner.config.ConfigBinder;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runner.model.AdapterLoader;
import io.finetune4j.runner.model.DeviceChoice;
import io.finetune4j.runner.model.ModelStore;
import io.finetune4j.runner.plugin.PluginLoader;
import io.finetune4j.runner.testing.Ft4jRun;
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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The review end to end: a two-stage run trained in-process, its answers generated, and headless Chromium
 * running the page's own JavaScript ({@code ?auto=A,B,tie} presses the buttons in turn) until the result shows.
 * Debian's {@code chromium} is installed when absent and this process can (root with apt-get); otherwise the
 * test is skipped with a message.
 */
class ReviewBrowserTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    @Test
    void headlessChromiumVotesEveryItemAndTheVotesExport() throws Exception {
        Path chromium = chromium();
        Path run = trainTwoStages();
        StringWriter log = new StringWriter();
        Console console = new Console(new PrintWriter(log, true), new PrintWriter(log, true));
        ReviewService review = new ReviewService(new ModelStore(DeviceChoice.CPU), new AdapterLoader(
                PluginLoader.load(getClass().getClassLoader(), null).methods(), new ConfigBinder(), console), console);

        List<ReviewItem> items = review.items(run, Optional.empty(), 20, 7);
        String cached = Files.readString(run.resolve("review/answers.jsonl"));
        assertThat(items).hasSize(6);
        assertThat(items.get(0).stageA()).isEqualTo("second");
        assertThat(items.get(0).stageB()).isEqualTo("first");
        assertThat(review.items(run, Optional.empty(), 20, 7)).isEqualTo(items);
        assertThat(Files.readString(run.resolve("review/answers.jsonl"))).isEqualTo(cached);

        String dom;
        try (ReviewServer server = review.serve(run, items, 7, "127.0.0.1", 0)) {
            dom = dumpDom(chromium, server.uri() + "&auto=A,B,tie");
        }

        assertThat(dom).contains("6 / 6 voted").contains("Win rate of second over first");
        List<String> votes = Files.readAllLines(run.resolve("review/votes.jsonl"));
        assertThat(votes).hasSize(6);
        List<String> choices = new ArrayList<>();
        int decided = 0;
        for (int i = 0; i < votes.size(); i++) {
            JsonNode vote = JSON.readTree(votes.get(i));
            choices.add(vote.path("choice").asText());
            assertThat(vote.path("item").asInt()).isEqualTo(i);
            String expected = ReviewVote.winner(vote.path("choice").asText(), items.get(i).aShownFirst());
            assertThat(vote.path("winner").asText()).isEqualTo(expected);
            decided += expected.equals(ReviewVote.A) || expected.equals(ReviewVote.B) ? 1 : 0;
        }
        assertThat(choices).containsExactly("A", "B", "tie", "A", "B", "tie");

        Path preferences = temp.resolve("preferences.jsonl");
        Ft4jRun export = Ft4jRun.of("review", run.toString(), "--export-preferences", preferences.toString());
        assertThat(export.code()).as(export.err()).isZero();
        List<String> rows = Files.readAllLines(preferences);
        assertThat(rows).hasSize(decided);
        JsonNode row = JSON.readTree(rows.get(0));
        assertThat(row.path("prompt").asText()).isEqualTo(items.get(0).prompt());
        assertThat(row.path("chosen").asText()).isEqualTo(items.get(0).left());
        assertThat(row.path("rejected").asText()).isEqualTo(items.get(0).right());
    }

    private Path trainTwoStages() {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path pipeline = project.write("pipeline.yaml", """
                name: reviewed
                seed: 4
                stages:
                  - name: first
                    base: {init: model/config.json, tokenizer: tok}
                    method: full
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 2, batch_size: 3, learning_rate: 1.0e-2, max_length: 32}
                  - name: second
                    base: previous
                    method: {id: lora, r: 2, lora_alpha: 4}
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 2, batch_size: 2, learning_rate: 2.0e-2, max_length: 32}
                """);
        Path run = temp.resolve("run");
        Ft4jRun result = Ft4jRun.of("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu");
        assertThat(result.code()).as(result.err()).isZero();
        return run;
    }

    private String dumpDom(Path chromium, String url) throws IOException, InterruptedException {
        Path profile = Files.createDirectories(temp.resolve("chromium-profile"));
        Path out = temp.resolve("dom.html");
        // --virtual-time-budget lets the page's fetch/vote loop run to the end before the DOM is dumped.
        Process process = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--user-data-dir=" + profile, "--virtual-time-budget=30000", "--dump-dom", url)
                .redirectOutput(out.toFile()).redirectError(temp.resolve("chromium.log").toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("chromium did not finish in 120 s; log: "
                    + Files.readString(temp.resolve("chromium.log")));
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    /** Chromium on the PATH, installed with apt-get first when absent and this process runs as root. */
    private static Path chromium() throws IOException, InterruptedException {
        Optional<Path> found = onPath("chromium").or(() -> onPath("chromium-browser"));
        if (found.isEmpty() && "root".equals(System.getProperty("user.name")) && onPath("apt-get").isPresent()) {
            ProcessBuilder apt = new ProcessBuilder("apt-get", "install", "-y", "--no-install-recommends", "chromium")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            apt.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process install = apt.start();
            if (install.waitFor(10, TimeUnit.MINUTES)) {
                found = onPath("chromium");
            } else {
                install.destroyForcibly();
            }
        }
        Assumptions.assumeTrue(found.isPresent(),
                "skipped: headless Chromium is not installed (Debian: apt-get install -y chromium) and this "
                        + "process cannot install it (needs root and apt-get)");
        return found.get();
    }

    private static Optional<Path> onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
