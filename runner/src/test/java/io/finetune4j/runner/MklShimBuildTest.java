package io.finetune4j.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code native/mkl-shim/build.sh}, which the launcher runs on AMD CPUs: the shim it builds must be loadable by
 * every user (mode 0755), not only by the one who built it (mktemp's 0600 kept by gcc gave 0711 before).
 */
class MklShimBuildTest {
    @TempDir
    Path temp;

    @Test
    void theShimIsBuiltReadableByEveryUser() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/gcc")) || Files.isExecutable(Path.of("/bin/gcc")),
                "no gcc on this machine: the launcher skips the shim too");
        Path root = Path.of(System.getProperty("finetune4j.root", "..")).toAbsolutePath().normalize();
        Path lib = temp.resolve("native/libft4j_mkl_shim.so");
        Process build = new ProcessBuilder("bash", root.resolve("native/mkl-shim/build.sh").toString(), lib.toString())
                .redirectErrorStream(true).start();
        assertThat(build.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String output = new String(build.getInputStream().readAllBytes());
        assertThat(build.exitValue()).as(output).isZero();

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lib))).isEqualTo("rwxr-xr-x");
        try (var left = Files.list(lib.getParent())) {
            assertThat(left.map(p -> p.getFileName().toString()).toList()).containsExactly("libft4j_mkl_shim.so");
        }
    }
}
