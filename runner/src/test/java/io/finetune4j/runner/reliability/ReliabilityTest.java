package io.finetune4j.runner.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.finetune4j.runner.Main;
import io.finetune4j.runner.testing.TinyProject;
import io.finetune4j.runtime.io.AtomicFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run directory under real failures, each in a separate {@code java} process running the runner as a user
 * would: killed with SIGKILL while training and while a checkpoint is being written, two runs into one directory
 * at once, a disk that fills up. Every one must end in a clear message and exit code, and a resumed run in the
 * adapter an uninterrupted run writes, byte for byte.
 */
class ReliabilityTest {
    private static final String ADAPTER = "sft/adapter/adapter_model.safetensors";

    @TempDir
    Path temp;

    private Path pipeline;
    private byte[] uninterrupted;

    private record Result(int code, String out, String err) {}

    @BeforeEach
    void project() throws Exception {
        TinyProject project = new TinyProject(temp.resolve("project"));
        pipeline = project.write("pipeline.yaml", """
                name: reliable
                seed: 11
                stages:
                  - name: sft
                    base: {init: model/config.json, tokenizer: tok}
                    method: {id: lora, r: 4, lora_alpha: 8}
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 60, batch_size: 2, learning_rate: 1.0e-2, max_length: 32, save_steps: 3,
                               save_total_limit: 2, logging_steps: 1, warmup_steps: 2, lr_schedule: cosine}
                """);
        Result reference = inProcess("run", pipeline.toString(), "--output", temp.resolve("reference").toString(),
                "--device", "cpu");
        assertThat(reference.code()).as(reference.err()).isZero();
        uninterrupted = Files.readAllBytes(temp.resolve("reference").resolve(ADAPTER));
    }

    @Test
    void killedDuringTrainingAndDuringCheckpointWritesItResumesToTheSameAdapter() throws Exception {
        Path run = temp.resolve("run");
        List<String> caught = new ArrayList<>();
        // Three kills: at the first checkpoint, and twice as soon as a checkpoint is being written (a temporary
        // directory beside it), each started again with --resume.
        Process first = child("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu");
        caught.add(killWhen(first, () -> exists(run.resolve("sft/checkpoints/checkpoint-3"))));
        for (int i = 0; i < 2; i++) {
            Process again = child("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu", "--resume");
            caught.add(killWhen(again, () -> checkpointBeingWritten(run.resolve("sft/checkpoints"))));
        }

        Result resumed = inProcess("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu",
                "--resume");

        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(caught.get(0)).isEqualTo("killed");
        System.out.println("ReliabilityTest kills: " + caught);
        assertThat(Files.readAllBytes(run.resolve(ADAPTER))).as("kills: %s", caught).isEqualTo(uninterrupted);
        try (Stream<Path> walk = Files.walk(run)) {
            assertThat(walk.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp-"))).isEmpty();
        }
        assertThat(distinctSteps(run)).isTrue();
    }

    @Test
    void twoRunsIntoOneDirectoryAtOnceTheSecondIsRefusedAndTheFirstIsUnharmed() throws Exception {
        Path run = temp.resolve("run");
        Process first = child("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu");
        waitFor(() -> exists(run.resolve(".ft4j.lock")) && exists(run.resolve("metrics.jsonl")), first);

        Result second = childResult(child("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu"));
        Result secondResume = childResult(child("run", pipeline.toString(), "--output", run.toString(), "--device",
                "cpu", "--resume"));

        assertThat(second.code()).as(second.err()).isEqualTo(2);
        assertThat(second.err()).contains("is in use by another ft4j run (pid " + first.pid() + " on ")
                .doesNotContain("\tat ");
        assertThat(secondResume.code()).isEqualTo(2);
        assertThat(secondResume.err()).contains("is in use by another ft4j run (pid " + first.pid() + " on ");
        Result firstResult = childResult(first);
        assertThat(firstResult.code()).as(firstResult.err()).isZero();
        assertThat(Files.readAllBytes(run.resolve(ADAPTER))).isEqualTo(uninterrupted);
        assertThat(distinctSteps(run)).isTrue();
    }

    @Test
    void aDiskThatFillsUpStopsWithExitTwoAndTheRunResumesOnceThereIsSpace() throws Exception {
        Path mount = Files.createDirectories(temp.resolve("small-disk"));
        Process mounting = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        boolean mounted = mounting.waitFor(30, TimeUnit.SECONDS) && mounting.exitValue() == 0;
        assumeTrue(mounted, "cannot mount a small tmpfs here (needs root and CAP_SYS_ADMIN): "
                + new String(mounting.getInputStream().readAllBytes()).strip());
        try {
            Path run = mount.resolve("run");
            // Leave room for the start of the run only: the checkpoints and outputs cannot all fit.
            Path filler = mount.resolve("filler");
            long free = Files.getFileStore(mount).getUsableSpace();
            Files.write(filler, new byte[(int) Math.max(0, free - 96 * 1024)]);

            Result full = childResult(child("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu"));

            assertThat(full.code()).as(full.err()).isEqualTo(2);
            assertThat(full.err()).contains("No space left on device", "the disk is full").doesNotContain("\tat ",
                    "internal error");
            if (full.out().contains("report of the finished stages: ")) {
                assertThat(run.resolve("report.html")).exists();
            }
            Files.delete(filler);
            Result resumed = inProcess("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu",
                    "--resume");
            assertThat(resumed.code()).as(resumed.err()).isZero();
            assertThat(Files.readAllBytes(run.resolve(ADAPTER))).isEqualTo(uninterrupted);
        } finally {
            unmount(mount);
        }
    }

    @Test
    void aReadOnlyFileSystemIsExitTwoNamingThePath() throws Exception {
        Path mount = Files.createDirectories(temp.resolve("read-only"));
        Process mounting = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        boolean mounted = mounting.waitFor(30, TimeUnit.SECONDS) && mounting.exitValue() == 0;
        assumeTrue(mounted, "cannot mount a read-only tmpfs here (needs root and CAP_SYS_ADMIN): "
                + new String(mounting.getInputStream().readAllBytes()).strip());
        try {
            // Permission bits do not stop root; a read-only file system (EROFS) does.
            Result readOnly = inProcess("run", pipeline.toString(), "--output", mount.resolve("run").toString(),
                    "--device", "cpu");

            assertThat(readOnly.code()).as(readOnly.err()).isEqualTo(2);
            assertThat(readOnly.err()).contains(mount.resolve("run").toString(), "Read-only file system")
                    .doesNotContain("\tat ", "internal error");
        } finally {
            unmount(mount);
        }
    }

    // ----------------------------------------------------------------------------------------------------------

    /** Unmounts {@code mount}, lazily when something still holds it, so the temporary directory can be deleted. */
    private static void unmount(Path mount) throws Exception {
        Process plain = new ProcessBuilder("umount", mount.toString()).redirectErrorStream(true).start();
        if (!plain.waitFor(30, TimeUnit.SECONDS) || plain.exitValue() != 0) {
            new ProcessBuilder("umount", "-l", mount.toString()).redirectErrorStream(true).start()
                    .waitFor(30, TimeUnit.SECONDS);
        }
    }

    private interface Condition {
        boolean holds() throws IOException;
    }

    private static boolean exists(Path path) {
        return Files.exists(path);
    }

    private static boolean checkpointBeingWritten(Path checkpoints) throws IOException {
        if (!Files.isDirectory(checkpoints)) {
            return false;
        }
        try (Stream<Path> children = Files.list(checkpoints)) {
            return children.anyMatch(p -> p.getFileName().toString().contains(".tmp-"));
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
    }

    /** Kills {@code process} with SIGKILL as soon as {@code condition} holds (or when it ends); says which. */
    private static String killWhen(Process process, Condition condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (process.isAlive() && System.nanoTime() < deadline) {
            if (condition.holds()) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                return "killed";
            }
            Thread.onSpinWait();
        }
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        return "ended before the moment (exit " + process.exitValue() + ")";
    }

    private static void waitFor(Condition condition, Process process) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!condition.holds()) {
            assertThat(process.isAlive()).as("the first run ended before it held the directory").isTrue();
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    private Process child(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xss4m", "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(temp.toFile());
        builder.environment().put("GLIBC_TUNABLES", "glibc.malloc.arena_max=1");
        int n = Math.abs(command.hashCode());
        builder.redirectOutput(temp.resolve("child-" + n + ".out").toFile());
        builder.redirectError(temp.resolve("child-" + n + ".err").toFile());
        Process process = builder.start();
        outputs.put(process, n);
        return process;
    }

    private final java.util.Map<Process, Integer> outputs = new java.util.HashMap<>();

    private Result childResult(Process process) throws Exception {
        assertThat(process.waitFor(300, TimeUnit.SECONDS)).isTrue();
        int n = outputs.get(process);
        return new Result(process.exitValue(), Files.readString(temp.resolve("child-" + n + ".out")),
                Files.readString(temp.resolve("child-" + n + ".err")));
    }

    private static Result inProcess(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new Main(new PrintWriter(out, true), new PrintWriter(err, true), Optional.empty()).execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    /** Every (stage, step) of metrics.jsonl appears once. */
    private static boolean distinctSteps(Path run) throws IOException {
        List<String> keys = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            keys.add(line.replaceAll("^\\{\"stage\":\"([^\"]*)\",\"step\":(\\d+),.*", "$1/$2"));
        }
        return keys.stream().distinct().count() == keys.size();
    }
}
