package io.finetune4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** This process's fp32 matmul throughput: the ceiling that MFU compares training against. */
final class MatmulPeak {
    private MatmulPeak() {}

    /** Best of {@code repeats} timed {@code size³} matmuls after one untimed one, in GFLOP/s. */
    static double measure(NDManager parent, int size, int repeats) {
        try (NDManager manager = parent.newSubManager()) {
            NDArray a = manager.randomNormal(new Shape(size, size));
            NDArray b = manager.randomNormal(new Shape(size, size));
            a.matMul(b).close();
            long best = Long.MAX_VALUE;
            for (int i = 0; i < repeats; i++) {
                long start = System.nanoTime();
                a.matMul(b).close(); // CPU ops run synchronously: the result is complete on return
                best = Math.min(best, System.nanoTime() - start);
            }
            return 2.0 * size * size * (double) size / best;
        }
    }
}
