package io.finetune4j.runner.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.finetune4j.runner.Main;
import io.finetune4j.runner.testing.TinyProject;
import io.finetune4j.runtime.io.AtomicFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run directory belongs to one run: refused when reused, locked while in use, and every I/O failure is exit 2. */
class RunDirectoryTest {
    @TempDir
    Path temp;

    private Path pipeline;
    private Path run;

    private record Result(int code, String out, String err) {}

    private static Result ft4j(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new Main(new PrintWriter(out, true), new PrintWriter(err, true), Optional.empty()).execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeEach
    void project() {
        TinyProject project = new TinyProject(temp.resolve("project"));
        pipeline = project.write("pipeline.yaml", """
                name: owned
                seed: 3
                stages:
                  - name: only
                    base: {init: model/config.json, tokenizer: tok}
                    method: {id: lora, r: 2, lora_alpha: 4}
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 4, batch_size: 2, learning_rate: 2.0e-2, max_length: 32, save_steps: 2,
                               save_total_limit: 1}
                """);
        run = temp.resolve("run");
    }

    private Result runIt(String... extra) {
        String[] args = Stream.concat(Stream.of("run", pipeline.toString(), "--output", run.toString(), "--device",
                "cpu"), Stream.of(extra)).toArray(String[]::new);
        return ft4j(args);
    }

    @Test
    void reusingAnOutputDirectoryWithoutResumeIsRefusedAndKeepsTheOldRun() throws Exception {
        assertThat(runIt().code()).isZero();
        byte[] adapter = Files.readAllBytes(run.resolve("only/adapter/adapter_model.safetensors"));

        Result again = runIt();

        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err()).contains("--output: " + run + " already holds a run (", "pipeline.yaml", "--resume",
                "--overwrite");
        assertThat(Files.readAllBytes(run.resolve("only/adapter/adapter_model.safetensors"))).isEqualTo(adapter);
        assertThat(Files.exists(run.resolve(RunDirectory.LOCK_FILE))).isFalse();
    }

    @Test
    void overwriteMovesTheOldRunAsideInsteadOfDeletingIt() throws Exception {
        assertThat(runIt().code()).isZero();
        byte[] adapter = Files.readAllBytes(run.resolve("only/adapter/adapter_model.safetensors"));

        Result again = runIt("--overwrite");

        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("the previous run in " + run + " was moved to " + run + ".replaced-1");
        assertThat(Files.readAllBytes(temp.resolve("run.replaced-1/only/adapter/adapter_model.safetensors")))
                .isEqualTo(adapter);
        assertThat(run.resolve("only/adapter/adapter_model.safetensors")).exists();
    }

    @Test
    void aDirectoryInUseByAnotherRunIsRefused() throws Exception {
        try (RunDirectory held = RunDirectory.open(run, RunDirectory.Mode.NEW, note -> { })) {
            Result second = runIt();

            assertThat(second.code()).isEqualTo(2);
            assertThat(second.err()).contains("--output: " + run + " is in use by another ft4j run (pid "
                    + ProcessHandle.current().pid() + " on ");
            assertThat(held.dir()).isEqualTo(run);
        }
        assertThat(Files.exists(run.resolve(RunDirectory.LOCK_FILE))).isFalse();
    }

    @Test
    void resumeTakesOverADeadRunsLockAndRemovesItsTemporaries() throws Exception {
        assertThat(runIt().code()).isZero();
        // A run killed during checkpoint and model writes: its lock file and half-written temporaries stay.
        Path stage = run.resolve("only");
        try (Stream<Path> children = Files.list(stage)) {
            for (Path child : children.filter(p -> !p.getFileName().toString().equals("checkpoints")).toList()) {
                AtomicFiles.deleteRecursively(child);
            }
        }
        Files.writeString(run.resolve(RunDirectory.LOCK_FILE), "pid 999999 on elsewhere since 2026-01-01T00:00:00Z\n");
        Files.createDirectories(stage.resolve("checkpoints/checkpoint-4.tmp-0123abcd/part"));
        Files.createDirectories(stage.resolve("model.tmp-89abcdef"));
        Files.writeString(run.resolve("report.html.tmp-fedcba98"), "half");

        Result resumed = runIt("--resume");

        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("the run that held this directory (pid 999999 on elsewhere since "
                + "2026-01-01T00:00:00Z) ended without releasing it", "removed only/model.tmp-89abcdef",
                "removed only/checkpoints/checkpoint-4.tmp-0123abcd", "removed report.html.tmp-fedcba98");
        try (Stream<Path> walk = Files.walk(run)) {
            assertThat(walk.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp-"))).isEmpty();
        }
        assertThat(Files.exists(run.resolve(RunDirectory.LOCK_FILE))).isFalse();
    }

    @Test
    void anOutputThatIsAFileOrUnderAFileIsAUserError() throws Exception {
        Path file = Files.writeString(temp.resolve("file.txt"), "x");

        Result onFile = ft4j("run", pipeline.toString(), "--output", file.toString());
        Result underFile = ft4j("run", pipeline.toString(), "--output", file.resolve("sub").toString());

        assertThat(onFile.code()).isEqualTo(2);
        assertThat(onFile.err()).isEqualTo("ft4j: --output: " + file + " is a file, not a directory; give a "
                + "directory for the run\n");
        assertThat(underFile.code()).isEqualTo(2);
        assertThat(underFile.err()).startsWith("ft4j: cannot create run directory " + file.resolve("sub"))
                .contains(file.toString()).doesNotContain("\tat ");
    }

    @Test
    void aFullDiskStopsTheRunWithExitTwoAndNamesTheFile() throws Exception {
        assumeTrue(Files.isWritable(Path.of("/dev/full")), "no /dev/full on this machine");
        assertThat(runIt().code()).isZero();
        Path stage = run.resolve("only");
        try (Stream<Path> children = Files.list(stage)) {
            for (Path child : children.filter(p -> !p.getFileName().toString().equals("checkpoints")).toList()) {
                AtomicFiles.deleteRecursively(child);
            }
        }
        // Every write to metrics.jsonl now fails as on a full disk (ENOSPC).
        Files.delete(run.resolve("metrics.jsonl"));
        Files.createSymbolicLink(run.resolve("metrics.jsonl"), Path.of("/dev/full"));

        Result full = runIt("--resume");

        assertThat(full.code()).isEqualTo(2);
        assertThat(full.err()).contains("cannot write metrics to " + run.resolve("metrics.jsonl"),
                "No space left on device", "the disk is full", "kept in " + run + ": no finished stage; stage only "
                        + "can resume from only/checkpoints/checkpoint-2").doesNotContain("\tat ", "internal error");
        if (full.out().contains("report of the finished stages: ")) {
            assertThat(run.resolve("report.html")).exists();
        }
    }
}
