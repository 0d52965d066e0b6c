package io.finetune4j.runner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.PrintWriter;
import java.util.Optional;

/**
 * The start-up check for the MKL shim. On AMD CPUs the launcher preloads {@code libft4j_mkl_shim.so},
 * which answers MKL's CPU-vendor check so that libtorch's MKL takes its fast kernels, and sets
 * {@value #PROPERTY} to the library's path. Before any command runs, this multiplies two fixed 64×64
 * matrices through the engine and compares the product with a plain-Java float64 one; when they
 * disagree the command stops with a user error telling how to run without the shim. Without the
 * property (tests, other launchers, {@code FT4J_MKL_SHIM=0}) nothing happens.
 */
final class MklShimCheck {
    /** Set by the launcher to the preloaded shim's path. */
    static final String PROPERTY = "ft4j.mklShim";
    static final int SIZE = 64;
    static final double TOLERANCE = 1e-3;

    private MklShimCheck() {}

    /** True when no shim is in use or the engine's matmul is right; else reports why on {@code err}. */
    static boolean passes(PrintWriter err) {
        String shim = System.getProperty(PROPERTY);
        if (shim == null) {
            return true;
        }
        Optional<String> problem = problem(engineError(), shim);
        problem.ifPresent(message -> {
            err.println("ft4j: " + message);
            err.flush();
        });
        return problem.isEmpty();
    }

    /** The user-error paragraph when {@code maxAbsError} is too large (or NaN), else empty. */
    static Optional<String> problem(double maxAbsError, String shim) {
        if (maxAbsError <= TOLERANCE) {
            return Optional.empty();
        }
        return Optional.of("the MKL shim (" + shim + ", preloaded by the launcher on AMD CPUs so that MKL"
                + " takes its fast kernels) gave wrong results: a " + SIZE + "x" + SIZE + " fp32 matmul"
                + " differed from the reference by " + maxAbsError + " (at most " + TOLERANCE
                + " allowed). Rerun with FT4J_MKL_SHIM=0 in the environment to run without it, and"
                + " please report this with your CPU model.");
    }

    /** The largest absolute difference between the engine's product of the fixed matrices and the reference. */
    static double engineError() {
        float[] a = matrix(1);
        float[] b = matrix(2);
        float[] product;
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray left = manager.create(a, new Shape(SIZE, SIZE));
            NDArray right = manager.create(b, new Shape(SIZE, SIZE));
            product = left.matMul(right).toFloatArray();
        }
        return maxAbsError(product, reference(a, b));
    }

    /** A fixed pseudo-random {@code SIZE×SIZE} matrix (row-major) with entries in [-1, 1). */
    static float[] matrix(long seed) {
        float[] values = new float[SIZE * SIZE];
        long state = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < values.length; i++) {
            state = state * 6364136223846793005L + 1442695040888963407L; // Knuth's MMIX LCG
            values[i] = (float) ((state >>> 40) / (double) (1L << 24) * 2 - 1);
        }
        return values;
    }

    /** {@code a·b} in float64, both {@code SIZE×SIZE} row-major. */
    static double[] reference(float[] a, float[] b) {
        double[] product = new double[SIZE * SIZE];
        for (int i = 0; i < SIZE; i++) {
            for (int k = 0; k < SIZE; k++) {
                double left = a[i * SIZE + k];
                for (int j = 0; j < SIZE; j++) {
                    product[i * SIZE + j] += left * b[k * SIZE + j];
                }
            }
        }
        return product;
    }

    /** The largest absolute difference; NaN when any value is NaN or the lengths differ. */
    static double maxAbsError(float[] actual, double[] expected) {
        if (actual.length != expected.length) {
            return Double.NaN;
        }
        double max = 0;
        for (int i = 0; i < actual.length; i++) {
            double error = Math.abs(actual[i] - expected[i]);
            if (Double.isNaN(error)) {
                return Double.NaN;
            }
            max = Math.max(max, error);
        }
        return max;
    }
}
